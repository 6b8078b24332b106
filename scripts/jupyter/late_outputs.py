"""Notebook execution for `deno task reproduce` that keeps outputs the Deno kernel sends late.

The Deno kernel (deno jupyter, 2.x) can publish a cell's `execute_result` after the `idle` status
that ends the cell, typically for a large result such as a figure's PNG. nbclient stops listening
for a cell at that `idle` and drops whatever comes later, so an executed notebook could miss a
figure or a table at random (measured: 0 to 3 of notebook 05's 19 code cells per run).

Every message names the request it answers (its parent header), so this preprocessor files a late
message under the cell that sent that request, and after the last cell waits briefly for stragglers.
A result's parent header is not enough: the kernel reads the "current request" when the op that sends
the result runs, which can be after the next cell's request arrived, so a late `execute_result` can
name the next cell as its parent (seen in CI: the last of 13 cells got count 12 and, presumably, the
12th cell's result). Its `execution_count` is fixed when the result is made, so an `execute_result`
goes to the cell whose `execute_input` had that count.
Used as nbconvert's preprocessor instead of ExecutePreprocessor (see scripts/reproduce.ts); errors
are reported in nbconvert's form (scripts/notebook_runner.ts parseCellError reads it).

It also fails the run on errors the Deno kernel loses. Observed with deno 2.9.6: an exception thrown
in a timer callback and an unawaited rejected promise publish nothing at all (no iopub message, nothing
on the kernel's stderr; the cell and the notebook "succeed"), and `Deno.exit(0)` kills the kernel, which
nbclient reports as a DeadKernelError naming no cell. So before the first cell a hidden prelude (PRELUDE)
installs global "error" and "unhandledrejection" handlers that publish the error as an iopub `error`
message (Deno.jupyter.broadcast, whose parent is the request running or last run), and makes
Deno.exit throw instead of ending the kernel. An `error` message for a cell whose reply was "ok" then
fails the run naming that cell; a kernel that dies anyway is reported with the cell that was running.
With `failed_copy` set, a failed run writes the notebook executed so far there.

A SIGTERM is handled like a SIGINT (Ctrl-C): the run stops and the kernel is shut down, not orphaned
(scripts/notebook_runner.ts passes both on to nbconvert).

It records no clock times: nbclient would store each cell's start and end times in the cell's metadata
(`record_timing`), so every run would change the committed notebooks even where no output changed, and
they would carry the machine's clock. Timings a previous run left there are removed.
"""

import os
import signal
import time
from queue import Empty

import nbformat
from nbclient.exceptions import CellExecutionComplete, CellExecutionError, DeadKernelError
from nbclient.util import ensure_async
from nbconvert.preprocessors import ExecutePreprocessor, coalesce_streams
from traitlets import Bool, Unicode

# After the last cell: stop once no message came for QUIET s, and after MAX_DRAIN s in any case.
QUIET = 0.5
MAX_DRAIN = 5.0

# Run silently before the first cell; a block, so it adds no names to the notebook's scope.
PRELUDE = r"""{
  const report = (e) => Deno.jupyter.broadcast("error", {
    ename: e instanceof Error ? e.name : "Error",
    evalue: e instanceof Error ? e.message : String(e),
    traceback: [e instanceof Error && e.stack ? e.stack : String(e)],
  });
  globalThis.addEventListener("error", (ev) => { ev.preventDefault(); report(ev.error); });
  globalThis.addEventListener("unhandledrejection", (ev) => { ev.preventDefault(); report(ev.reason); });
  Deno.exit = (code) => {
    throw new Error(`Deno.exit(${code ?? ""}) in a notebook: it would end the kernel, not the notebook`);
  };
}"""
LOST = ("Error raised outside the cell's own run (in a timer callback, an event handler or an "
        "unawaited promise), noticed while this cell ran or after it:")


class LateOutputExecutor(ExecutePreprocessor):
    """ExecutePreprocessor that files late kernel messages under the cell they belong to."""

    failed_copy = Unicode("", help="Where a failed run writes the notebook executed so far").tag(config=True)
    record_timing = Bool(False, help="Store each cell's execution times in its metadata (off)").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self._cells = {}  # request msg_id -> (cell, index) of every cell run so far
        self._counted = {}  # execution count -> (cell, index), from each cell's execute_input
        self._last_code = -1  # index of the notebook's last code cell
        self._prelude_run = False
        self._lost = []  # (cell, error message content) of every error message that arrived

    def preprocess(self, nb, resources=None, km=None):
        # nbconvert's synchronous path installs no signal handlers, so a SIGTERM would end this process at
        # once and leave the kernel running, orphaned. As a KeyboardInterrupt (what SIGINT already raises)
        # it unwinds through nbclient's setup_kernel, whose cleanup shuts the kernel down.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        for c in nb.cells:
            c.get("metadata", {}).pop("execution", None)  # an earlier run's clock times
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        self._last_code = code[-1] if code else -1
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        except Exception:
            if self.failed_copy:
                os.makedirs(os.path.dirname(os.path.abspath(self.failed_copy)), exist_ok=True)
                nbformat.write(coalesce_streams(nb, resources or {})[0], self.failed_copy)
            raise
        # nbconvert merges a cell's consecutive stream outputs after its own executor; so do we.
        return coalesce_streams(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if not self._prelude_run:
            self._prelude_run = True
            reply = self.wait_for_reply(self.kc.execute(PRELUDE, silent=True, store_history=False))
            if reply is None or reply["content"]["status"] != "ok":
                raise RuntimeError(f"the notebook prelude failed in the kernel: {reply and reply['content']}")
        try:
            result = super().preprocess_cell(cell, resources, index)
        except DeadKernelError as e:
            raise CellExecutionError.from_cell_and_msg(cell, {
                "ename": "DeadKernelError",
                "evalue": "the kernel died while this cell ran",
                "traceback": [f"The kernel died while running this cell (a crash, a signal or running "
                              f"out of memory): {e}"],
            }) from e
        if self._lost:
            earlier, content = self._lost[0]
            tb = [LOST, *(content.get("traceback") or [])]
            raise CellExecutionError.from_cell_and_msg(earlier, {**content, "traceback": tb})
        return result

    def _note_error(self, msg, cell):
        if msg["msg_type"] == "error":
            self._lost.append((cell, msg["content"]))

    def _owner(self, msg):
        """(cell, index) a message belongs to: a result's execution count names it, else its parent."""
        if msg["msg_type"] == "execute_result":
            owner = self._counted.get(msg["content"].get("execution_count"))
            if owner is not None:
                return owner
        return self._cells.get(msg["parent_header"].get("msg_id"))

    def _file_late(self, msg):
        """Process a message that belongs to an earlier cell; ignore anything else."""
        earlier = self._owner(msg)
        if earlier is None or msg["msg_type"] == "status":
            return
        self._note_error(msg, earlier[0])
        try:
            self.process_message(msg, *earlier)
        except CellExecutionComplete:
            pass

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self._cells[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id and msg["msg_type"] == "execute_input":
                self._counted[msg["content"]["execution_count"]] = (cell, cell_index)
            owner = self._owner(msg)
            if owner is None or owner[0] is not cell:
                self._file_late(msg)
                continue
            self._note_error(msg, cell)
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
