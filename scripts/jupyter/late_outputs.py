"""Notebook execution for `deno task reproduce` that keeps outputs the Deno kernel sends late.

The Deno kernel (deno jupyter, 2.x) can publish a cell's `execute_result` after the `idle` status
that ends the cell, typically for a large result such as a figure's PNG. nbclient stops listening
for a cell at that `idle` and drops whatever comes later, so an executed notebook could miss a
figure or a table at random (measured: 0 to 3 of notebook 05's 19 code cells per run).

Every message names the request it answers (its parent header), so this preprocessor files a late
message under the cell that sent that request, and after the last cell waits briefly for stragglers.
Used as nbconvert's preprocessor instead of ExecutePreprocessor (see scripts/reproduce.ts); errors
are reported exactly as nbconvert reports them.
"""

import time
from queue import Empty

from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async
from nbconvert.preprocessors import ExecutePreprocessor, coalesce_streams

# After the last cell: stop once no message came for QUIET s, and after MAX_DRAIN s in any case.
QUIET = 0.5
MAX_DRAIN = 5.0


class LateOutputExecutor(ExecutePreprocessor):
    """ExecutePreprocessor that files late kernel messages under the cell they belong to."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._cells = {}  # request msg_id -> (cell, index) of every cell run so far
        self._last_code = -1  # index of the notebook's last code cell

    def preprocess(self, nb, resources=None, km=None):
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        self._last_code = code[-1] if code else -1
        nb, resources = super().preprocess(nb, resources, km=km)
        # nbconvert merges a cell's consecutive stream outputs after its own executor; so do we.
        return coalesce_streams(nb, resources)

    def _file_late(self, msg):
        """Process a message that answers an earlier cell's request; ignore anything else."""
        earlier = self._cells.get(msg["parent_header"].get("msg_id"))
        if earlier is None or msg["msg_type"] == "status":
            return
        try:
            self.process_message(msg, *earlier)
        except CellExecutionComplete:
            pass

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self._cells[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                self._file_late(msg)
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                if cell_index == self._last_code:
                    await self._drain()
                return

    async def _drain(self):
        end = time.monotonic() + MAX_DRAIN
        while time.monotonic() < end:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=QUIET))
            except Empty:
                return
            self._file_late(msg)
