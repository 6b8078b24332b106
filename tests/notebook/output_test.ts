import pl from "nodejs-polars";
import { deepEqual, equal, match } from "../assert.ts";
import { markdownTable, saveCsv, showMarkdown, showTable } from "../../lib/notebook/output.ts";
import { join } from "node:path";

Deno.test("markdownTable formats integers with separators, floats with fixed digits, and right-aligns numbers", () => {
  const md = markdownTable([{ name: "George_W_Bush", images: 530, share: 0.04005 }, {
    name: "a|b",
    images: 1234,
    share: 1,
  }], 2);
  equal(
    md,
    [
      "| name | images | share |",
      "| --- | ---: | ---: |",
      "| George_W_Bush | 530 | 0.04 |",
      "| a\\|b | 1,234 | 1 |",
    ].join("\n"),
  );
});

Deno.test("showTable's verbatim columns print numbers as they are (a year is 1991, not 1,991)", () => {
  const rows = [{ method: "Eigenfaces", year: 1991, images: 13233 }];
  const t = showTable(rows, { verbatim: ["year"] });
  const bundle = t[Symbol.for("Jupyter.display")]();
  match(String(t), /\| Eigenfaces \| 1991 \| 13,233 \|/);
  match(
    bundle["text/html"],
    /<td style="text-align:right">1991<\/td><td style="text-align:right">13,233<\/td>/,
  );
  match(String(showTable(rows)), /\| 1,991 \|/, "without it, the integer rule");
});

Deno.test("showTable gives the kernel HTML with every cell, escaped", () => {
  const t = showTable(pl.DataFrame({ k: ["<x>", "y"], v: [1.5, 2] }), { caption: "T" });
  const bundle = t[Symbol.for("Jupyter.display")]();
  match(bundle["text/html"], /<caption>T<\/caption>/);
  match(
    bundle["text/html"],
    /<td style="text-align:left">&lt;x&gt;<\/td><td style="text-align:right">1.500<\/td>/,
  );
  equal((bundle["text/html"].match(/<tr>/g) ?? []).length, 3);
  match(String(t), /\*\*T\*\*/);
});

Deno.test("showMarkdown gives the kernel Markdown, not a quoted string", () => {
  const m = showMarkdown("the gap **grew**");
  deepEqual(m[Symbol.for("Jupyter.display")](), {
    "text/markdown": "the gap **grew**",
    "text/plain": "the gap **grew**",
  });
  equal(String(m), "the gap **grew**");
});

Deno.test("saveCsv round-trips through polars", () => {
  const dir = Deno.makeTempDirSync();
  const p = saveCsv([{ epoch: 1, loss: 0.25 }, { epoch: 2, loss: 0.125 }], dir, "h");
  equal(p, join(dir, "h.csv"));
  equal(Deno.readTextFileSync(p).trim(), "epoch,loss\n1,0.25\n2,0.125");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("saveCsv keeps whole numbers whole beside empty cells (literature.csv's years: 2015, not 2015.0)", () => {
  const dir = Deno.makeTempDirSync();
  const p = saveCsv(
    [{ method: "FaceNet", year: 2015, acc: 99.63 }, { method: "ours", year: null, acc: 81.7 }],
    dir,
    "l",
  );
  equal(Deno.readTextFileSync(p).trim(), "method,year,acc\nFaceNet,2015,99.63\nours,,81.7");
  Deno.removeSync(dir, { recursive: true });
});
