import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { downloadFile, extractTgz, md5File } from "../../lib/data/download.ts";
import { verifyLfw } from "../../lib/data/integrity.ts";
import { lfwSummaryLine } from "../../lib/data/lfw.ts";
import {
  type DataSource,
  ensureSources,
  LFW_MD5,
  officialSources,
  PROTOCOL_FILES,
  setupLfw,
} from "../../lib/data/sources.ts";
import { deepEqual, equal, hasSharedData, ok, rejects, SHARED_DATA } from "../assert.ts";
import { makeLfwTree, makeProtocol, scramble } from "./fixtures.ts";

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "facenet-dl-"));
}

/** A .tgz built in memory from [name, content | null (folder)] entries. */
async function makeTgz(entries: [string, Uint8Array | string | null][]): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Uint8Array);
  })();
  for (const [name, body] of entries) {
    if (body === null) pack.entry({ name, type: "directory", mode: 0o755 });
    else pack.entry({ name, mtime: new Date(2007, 0, 2) }, body);
  }
  pack.finalize();
  await done;
  const tarBytes = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) tarBytes.set(c, (o += c.length) - c.length);
  return new Uint8Array(gzipSync(tarBytes));
}

interface Served {
  body: Uint8Array;
  /** Serve only this many bytes on the first `cuts` requests, then break the connection. */
  cutAfter?: number;
  cuts?: number;
  /** Ignore Range headers (answer 200 with everything). */
  noRange?: boolean;
}

/** A local HTTP server on 127.0.0.1 (random port) that supports Range requests and logs every request. */
function serve(files: Record<string, Served>) {
  const log: { path: string; range: string | null; status: number }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    const f = files[path];
    const range = req.headers.get("range");
    const answer = (status: number, body: BodyInit | null, headers: Record<string, string> = {}) => {
      log.push({ path, range, status });
      return new Response(body, { status, headers });
    };
    if (!f) return answer(404, "not found");
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = {};
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    if (m && !f.noRange) {
      start = Number(m[1]);
      if (start >= f.body.length) {
        return answer(416, null, { "content-range": `bytes */${f.body.length}` });
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${f.body.length - 1}/${f.body.length}`;
    }
    const rest = f.body.slice(start);
    headers["content-length"] = String(rest.length);
    if (f.cuts && f.cutAfter !== undefined) {
      f.cuts--;
      const part = rest.subarray(0, f.cutAfter);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(part);
        },
        pull(c) {
          c.close(); // shorter than Content-Length: the server drops the connection
        },
      });
      return answer(status, stream, headers);
    }
    return answer(status, rest, headers);
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return { url, log, close: () => server.shutdown() };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 23;
  return b;
}

Deno.test("downloadFile fetches, checks the MD5 and renames .part into place", async () => {
  const dir = tmp();
  const body = randomBytes(300_000, 1);
  const srv = serve({ "/f.bin": { body } });
  try {
    const seen: number[] = [];
    const r = await downloadFile(`${srv.url}/f.bin`, join(dir, "sub/f.bin"), {
      md5: md5(body),
      onProgress: (v, t) => {
        equal(t, body.length);
        seen.push(v);
      },
    });
    deepEqual(readFileSync(join(dir, "sub/f.bin")), Buffer.from(body));
    deepEqual([r.bytes, r.md5, r.resumed], [body.length, md5(body), false]);
    ok(!existsSync(join(dir, "sub/f.bin.part")));
    equal(seen.at(-1), body.length);
    await rejects(downloadFile(`${srv.url}/missing`, join(dir, "m"), {}), /missing: HTTP 404/);
    await rejects(
      downloadFile("http://127.0.0.1:1/x", join(dir, "x"), { retries: 0 }),
      /127\.0\.0\.1:1\/x: could not download \(/,
    );
    ok(!existsSync(join(dir, "x.part")));
    ok(!existsSync(join(dir, "m")));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true });
  }
});

Deno.test("an interrupted download keeps its .part file and the next call resumes with Range", async () => {
  const dir = tmp();
  const body = randomBytes(200_000, 2);
  const srv = serve({ "/f.bin": { body, cutAfter: 70_000, cuts: 1 } });
  const dest = join(dir, "f.bin");
  try {
    await rejects(
      downloadFile(`${srv.url}/f.bin`, dest, { md5: md5(body), retries: 0 }),
      /download interrupted .*70000 bytes are kept in .*f\.bin\.part/,
    );
    ok(!existsSync(dest), "no final file after an interruption");
    equal(statSync(`${dest}.part`).size, 70_000);
    const r = await downloadFile(`${srv.url}/f.bin`, dest, { md5: md5(body), retries: 0 });
    equal(r.resumed, true);
    deepEqual(srv.log.map((l) => [l.range, l.status]), [[null, 200], ["bytes=70000-", 206]]);
    equal(md5(readFileSync(dest)), md5(body));
    ok(!existsSync(`${dest}.part`));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true });
  }
});

Deno.test("broken connections are resumed automatically within one call", async () => {
  const dir = tmp();
  const body = randomBytes(150_000, 3);
  const srv = serve({ "/f.bin": { body, cutAfter: 40_000, cuts: 2 } });
  try {
    const r = await downloadFile(`${srv.url}/f.bin`, join(dir, "f.bin"), { md5: md5(body), retries: 3 });
    equal(r.resumed, true);
    deepEqual(srv.log.map((l) => l.range), [null, "bytes=40000-", "bytes=80000-"]);
    equal(md5(readFileSync(join(dir, "f.bin"))), md5(body));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true });
  }
});

Deno.test("a server that ignores Range restarts the download cleanly", async () => {
  const dir = tmp();
  const body = randomBytes(100_000, 4);
  const srv = serve({ "/f.bin": { body, noRange: true } });
  const dest = join(dir, "f.bin");
  try {
    writeFileSync(`${dest}.part`, body.subarray(0, 30_000).map((v) => 255 - v)); // stale, wrong bytes
    const r = await downloadFile(`${srv.url}/f.bin`, dest, { md5: md5(body) });
    equal(r.resumed, false);
    deepEqual(srv.log.map((l) => [l.range, l.status]), [["bytes=30000-", 200]]);
    equal(md5(readFileSync(dest)), md5(body));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true });
  }
});

Deno.test("a corrupt download is detected by MD5 and nothing is kept as final", async () => {
  const dir = tmp();
  const body = randomBytes(50_000, 5);
  const bad = body.slice();
  bad[12_345] ^= 1;
  const srv = serve({ "/f.bin": { body: bad } });
  const dest = join(dir, "f.bin");
  try {
    await rejects(
      downloadFile(`${srv.url}/f.bin`, dest, { md5: md5(body) }),
      new RegExp(`f\\.bin: MD5 mismatch: expected ${md5(body)}, got ${md5(bad)}`),
    );
    ok(!existsSync(dest));
    ok(!existsSync(`${dest}.part`), "the corrupt .part is deleted so the next run starts over");
    // A corrupt .part from an earlier run that the server says is complete (416) is caught too.
    writeFileSync(`${dest}.part`, bad);
    srv.log.length = 0;
    const srv2 = serve({ "/f.bin": { body } });
    try {
      await rejects(downloadFile(`${srv2.url}/f.bin`, dest, { md5: md5(body) }), /MD5 mismatch/);
      deepEqual(srv2.log.map((l) => l.status), [416]);
      ok(!existsSync(dest) && !existsSync(`${dest}.part`));
    } finally {
      await srv2.close();
    }
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true });
  }
});

Deno.test("extractTgz unpacks files and folders with their mtimes, via a staging folder", async () => {
  const dir = tmp();
  try {
    const tgz = await makeTgz([
      ["top/", null],
      ["top/a.txt", "alpha"],
      ["top/sub/b.bin", randomBytes(5000, 6)],
      ["./other.txt", "x"],
    ]);
    writeFileSync(join(dir, "t.tgz"), tgz);
    const out = join(dir, "out");
    mkdirSync(out);
    const r = await extractTgz(join(dir, "t.tgz"), out);
    deepEqual(r.topLevel, ["other.txt", "top"]);
    equal(r.files, 3);
    equal(r.bytes, 5 + 5000 + 1);
    equal(readFileSync(join(out, "top/a.txt"), "utf8"), "alpha");
    deepEqual(readFileSync(join(out, "top/sub/b.bin")), Buffer.from(randomBytes(5000, 6)));
    equal(statSync(join(out, "top/a.txt")).mtime.getTime(), new Date(2007, 0, 2).getTime());
    deepEqual(readdirSync(out).sort(), ["other.txt", "top"]); // no staging folder left
    await rejects(extractTgz(join(dir, "t.tgz"), out), /other\.txt already exists/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("extractTgz refuses entries outside the destination and truncated archives, leaving nothing", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "out");
    mkdirSync(out);
    writeFileSync(join(dir, "evil.tgz"), await makeTgz([["ok/a.txt", "a"], ["../escape.txt", "x"]]));
    await rejects(
      extractTgz(join(dir, "evil.tgz"), out),
      /evil\.tgz: entry "\.\.\/escape\.txt" points outside/,
    );
    ok(!existsSync(join(dir, "escape.txt")));
    deepEqual(readdirSync(out), []);
    const good = await makeTgz([["d/big.bin", randomBytes(200_000, 7)]]);
    writeFileSync(join(dir, "cut.tgz"), good.subarray(0, good.length >> 1));
    await rejects(extractTgz(join(dir, "cut.tgz"), out), /cut\.tgz: extraction failed/);
    deepEqual(readdirSync(out), [], "no half-extracted folder and no staging folder");
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("ensureSources installs a tiny LFW from a local server, then finds it complete and fetches nothing", async () => {
  const dir = tmp();
  const src = join(dir, "src");
  const people = { Ann_A: 3, Bo_B: 1, Cy_C: 2, Di_D: 1 };
  try {
    await makeLfwTree(src, people);
    makeProtocol(src, people);
    const entries: [string, Uint8Array | null][] = [];
    for (const name of Object.keys(people)) {
      for (const f of readdirSync(join(src, "lfw-deepfunneled", name))) {
        entries.push([`lfw-deepfunneled/${name}/${f}`, readFileSync(join(src, "lfw-deepfunneled", name, f))]);
      }
    }
    const tgz = await makeTgz(entries);
    const served: Record<string, Served> = {
      "/lfw-deepfunneled.tgz": { body: tgz, cutAfter: 1000, cuts: 1 },
    };
    const sources: DataSource[] = [
      {
        label: "images",
        url: "",
        md5: md5(tgz),
        file: "lfw-deepfunneled.tgz",
        kind: "tgz",
        installs: "lfw-deepfunneled",
      },
    ];
    for (const f of readdirSync(join(src, "lfw-protocol"))) {
      const body = readFileSync(join(src, "lfw-protocol", f));
      served[`/${f}`] = { body };
      sources.push({
        label: f,
        url: "",
        md5: md5(body),
        file: `lfw-protocol/${f}`,
        kind: "file",
        installs: `lfw-protocol/${f}`,
      });
    }
    const srv = serve(served);
    try {
      for (const s of sources) s.url = `${srv.url}/${s.file.split("/").at(-1)}`;
      const root = join(dir, "root");
      const logs: string[] = [];
      const got = await ensureSources(root, sources, { progress: false, log: (l) => logs.push(l) });
      equal(got.length, sources.length);
      ok(!existsSync(join(root, "lfw-deepfunneled.tgz")), "the archive is removed after extraction");
      equal(
        await md5File(join(root, "lfw-deepfunneled/Ann_A/Ann_A_0002.jpg")),
        md5(readFileSync(join(src, "lfw-deepfunneled/Ann_A/Ann_A_0002.jpg"))),
      );
      equal(lfwSummaryLine(verifyLfw(root)), "LFW: 4 people, 7 images; >=3 images: 1 people, 3 images");

      const before = srv.log.length;
      equal((await ensureSources(root, sources, { progress: false, log: (l) => logs.push(l) })).length, 0);
      equal(srv.log.length, before, "nothing is fetched when everything is present");

      // A protocol file changed on disk is caught by its MD5; a missing image by verifyLfw.
      writeFileSync(join(root, "lfw-protocol/pairs.txt"), "2\t1\n");
      await rejects(
        ensureSources(root, sources, { progress: false }),
        /pairs\.txt: MD5 .* differs from the official/,
      );
      writeFileSync(join(root, "lfw-protocol/pairs.txt"), readFileSync(join(src, "lfw-protocol/pairs.txt")));
      rmSync(join(root, "lfw-deepfunneled/Ann_A/Ann_A_0003.jpg"));
      let err = "";
      try {
        verifyLfw(root);
      } catch (e) {
        err = (e as Error).message;
      }
      ok(/lfw-names\.txt:1: Ann_A has 3 images here but 2 in the image folder/.test(err), err);
    } finally {
      await srv.close();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "the official MD5s match the shared protocol files, and a complete root needs no download (shared data)",
  ignore: !hasSharedData(),
  async fn() {
    const sources = officialSources("http://127.0.0.1:1/never-contacted/");
    equal(sources[0].url, "http://127.0.0.1:1/never-contacted/lfw-deepfunneled.tgz");
    for (const f of PROTOCOL_FILES) equal(await md5File(join(SHARED_DATA, "lfw-protocol", f)), LFW_MD5[f], f);
    deepEqual(await ensureSources(SHARED_DATA, sources, { progress: false }), []);
  },
});

Deno.test("setupLfw --repair re-extracts only the missing and corrupt images, from the kept or a fetched archive", async () => {
  const dir = tmp();
  const root = join(dir, "root");
  const people = { Ann_A: 3, Bo_B: 1, Cy_C: 2 };
  try {
    await makeLfwTree(root, people);
    makeProtocol(root, people);
    const entries: [string, Uint8Array | null][] = [];
    const original = new Map<string, string>();
    for (const name of Object.keys(people)) {
      for (const f of readdirSync(join(root, "lfw-deepfunneled", name))) {
        const rel = `lfw-deepfunneled/${name}/${f}`;
        const body = readFileSync(join(root, rel));
        entries.push([rel, body]);
        original.set(rel, md5(body));
      }
    }
    const tgz = await makeTgz(entries);
    const srv = serve({ "/lfw-deepfunneled.tgz": { body: tgz } });
    try {
      const sources: DataSource[] = [{
        label: "images",
        url: `${srv.url}/lfw-deepfunneled.tgz`,
        md5: md5(tgz),
        file: "lfw-deepfunneled.tgz",
        kind: "tgz",
        installs: "lfw-deepfunneled",
      }];
      const opts = { progress: false, log: () => {}, stampFile: null };
      const damage = () => {
        rmSync(join(root, "lfw-deepfunneled/Ann_A/Ann_A_0003.jpg"));
        scramble(join(root, "lfw-deepfunneled/Cy_C/Cy_C_0001.jpg"));
      };
      const untouched = join(root, "lfw-deepfunneled/Bo_B/Bo_B_0001.jpg");
      const check = () => {
        for (const [rel, sum] of original) equal(md5(readFileSync(join(root, rel))), sum, rel);
      };

      // The archive is still in the data root: it is used (no request) and kept.
      writeFileSync(join(root, "lfw-deepfunneled.tgz"), tgz);
      damage();
      const mtimeBefore = statSync(untouched).mtimeMs;
      await rejects(
        setupLfw(root, sources, opts),
        /Ann_A_0003\.jpg is missing; run `deno task setup -- --repair`/,
      );
      const a = await setupLfw(root, sources, { ...opts, repair: true });
      deepEqual(a.restored.sort(), [
        "lfw-deepfunneled/Ann_A/Ann_A_0003.jpg",
        "lfw-deepfunneled/Cy_C/Cy_C_0001.jpg",
      ]);
      equal(a.index.nImages, 6);
      check();
      equal(statSync(untouched).mtimeMs, mtimeBefore, "good images are not rewritten");
      ok(existsSync(join(root, "lfw-deepfunneled.tgz")), "a kept archive stays");
      equal(srv.log.length, 0);

      // No archive: it is fetched (MD5-checked), used for the two files, then deleted.
      rmSync(join(root, "lfw-deepfunneled.tgz"));
      damage();
      const b = await setupLfw(root, sources, { ...opts, repair: true });
      equal(b.restored.length, 2);
      check();
      ok(!existsSync(join(root, "lfw-deepfunneled.tgz")), "a fetched archive is removed");
      equal(srv.log.length, 1);
      // Nothing to repair: nothing fetched.
      deepEqual((await setupLfw(root, sources, { ...opts, repair: true })).restored, []);
      equal(srv.log.length, 1);

      // No archive and no server: the error says how to repair offline.
      damage();
      sources[0].url = "http://127.0.0.1:1/lfw-deepfunneled.tgz";
      await rejects(
        setupLfw(root, sources, { ...opts, repair: true }),
        /could not download .*; to repair without the network, copy lfw-deepfunneled\.tgz \(MD5 [0-9a-f]{32}\) to .*root\/lfw-deepfunneled\.tgz and run setup --repair again$/,
      );
    } finally {
      await srv.close();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});
