import { deepEqual } from "./assert.ts";
import pl from "nodejs-polars";
import { join } from "node:path";
import { writeCsv } from "../lib/files.ts";

Deno.test("writeCsv writes atomically and reads back", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const df = pl.DataFrame({ a: [1, 2], b: ["x", "y"] });
    const path = writeCsv(df, join(dir, "sub", "t.csv"));
    const back = pl.readCSV(Deno.readTextFileSync(path));
    deepEqual(back.getColumn("b").toArray(), ["x", "y"]);
    deepEqual(Array.from(Deno.readDirSync(join(dir, "sub")), (e) => e.name), ["t.csv"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
