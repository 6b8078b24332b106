/**
 * Published LFW verification accuracies that notebook 06 sets our networks beside, each with what it was
 * trained on and under which LFW protocol, because a number means little without them:
 *
 * - LFW's own categories (vis-www.cs.umass.edu/lfw/results.html): *image-restricted* (only the
 *   same/different labels of the training folds' pairs) or *unrestricted* (the training folds' identities
 *   too), each with no outside data, label-free outside data, or labelled outside data. The deep networks
 *   (DeepFace, DeepID2, FaceNet) are "unrestricted, labeled outside data": trained on millions of photos
 *   of other people, tested on all of View 2.
 * - The anchors trained on LFW alone (Eigenfaces, Nowak & Jurie, V1-like/MKL, Fisher vector faces) are
 *   the fair company of a network trained on View 1's dev-train people only.
 *
 * `checked` says where a figure was compared with its source during issue #16 (the abstract, or the LFW
 * results page's table), or is null: then it is quoted from the paper and was not re-checked. Every ± is
 * the standard error over the 10 folds (the LFW page's convention, and ours: standardError in
 * verification.ts); null when the source gives none.
 */
import { standardError, type VerificationResult } from "./verification.ts";
import type { View1SummaryRow } from "./view1_eval.ts";

/** One published result. */
export interface LiteratureEntry {
  method: string;
  /** The chart's short label: method, year, training data, protocol. */
  label: string;
  /** Publication year. */
  year: number;
  /** Mean accuracy over LFW's 10 folds (0…1). */
  accuracy: number;
  /** Standard error over the folds (0…1), or null when not quoted. */
  se: number | null;
  /** What it was trained on, in a few words. */
  trainedOn: string;
  /** Whether it learned from LFW alone (no labelled outside data). */
  lfwOnly: boolean;
  /** LFW protocol of the number. */
  protocol: string;
  /** Where the figure comes from. */
  source: string;
  /** Where it was checked against its source during issue #16, or null (not re-checked). */
  checked: string | null;
}

const LFW_PAGE = "LFW results page (vis-www.cs.umass.edu/lfw/results.html)";

export const LITERATURE: readonly LiteratureEntry[] = [
  {
    method: "Eigenfaces (Turk & Pentland)",
    label: "Eigenfaces 1991 · LFW only · View 2 restricted",
    year: 1991,
    accuracy: 0.6002,
    se: 0.0079,
    trainedOn: "LFW training folds only",
    lfwOnly: true,
    protocol: "View 2, image-restricted, no outside data",
    source: LFW_PAGE,
    checked: "LFW results page, strict-LFW table: 0.6002 ± 0.0079",
  },
  {
    method: "Nowak & Jurie, funneled",
    label: "Nowak & Jurie 2007 · LFW only · View 2 restricted",
    year: 2007,
    accuracy: 0.7393,
    se: 0.0049,
    trainedOn: "LFW training folds only",
    lfwOnly: true,
    protocol: "View 2, image-restricted, no outside data",
    source: LFW_PAGE,
    checked: "LFW results page, strict-LFW table: 0.7393 ± 0.0049",
  },
  {
    method: "V1-like/MKL, funneled (Pinto et al.)",
    label: "V1-like/MKL 2008 · LFW only · View 2 restricted",
    year: 2008,
    accuracy: 0.7935,
    se: 0.0055,
    trainedOn: "LFW training folds only",
    lfwOnly: true,
    protocol: "View 2, image-restricted, no outside data",
    source: LFW_PAGE,
    checked: "LFW results page, strict-LFW table: 0.7935 ± 0.0055",
  },
  {
    method: "Fisher vector faces (Simonyan et al.)",
    label: "Fisher vector faces 2013 · LFW only · View 2 unrestricted",
    year: 2013,
    accuracy: 0.9303,
    se: 0.0105,
    trainedOn: "LFW training folds only (no labelled outside data)",
    lfwOnly: true,
    protocol: "View 2, unrestricted",
    source: "Simonyan, Parkhi, Vedaldi & Zisserman, BMVC 2013",
    checked: null,
  },
  {
    method: "High-dim LBP (Chen et al.)",
    label: "High-dim LBP 2013 · 99k outside images · View 2",
    year: 2013,
    accuracy: 0.9517,
    se: 0.0113,
    trainedOn: "WDRef, 99k images of 2,995 people",
    lfwOnly: false,
    protocol: "View 2, unrestricted, labeled outside data",
    source: "Chen, Cao, Wen & Sun, CVPR 2013",
    checked: null,
  },
  {
    method: "DeepFace ensemble (Taigman et al.)",
    label: "DeepFace 2014 · 4.4M outside images · View 2",
    year: 2014,
    accuracy: 0.9735,
    se: 0.0025,
    trainedOn: "4.4M images of 4,030 people (SFC)",
    lfwOnly: false,
    protocol: "View 2, unrestricted, labeled outside data",
    source: "Taigman, Yang, Ranzato & Wolf, CVPR 2014",
    checked: "abstract: 97.35% (the ± is not in the abstract)",
  },
  {
    method: "DeepID2 (Sun et al.)",
    label: "DeepID2 2014 · 202k outside images · View 2",
    year: 2014,
    accuracy: 0.9915,
    se: 0.0013,
    trainedOn: "CelebFaces+, 202k images of 10,177 people",
    lfwOnly: false,
    protocol: "View 2, unrestricted, labeled outside data",
    source: "Sun, Wang & Tang, NeurIPS 2014 (arXiv 1406.4773)",
    checked: "abstract: 99.15% (the ± is not in the abstract)",
  },
  {
    method: "FaceNet, fixed centre crop (Schroff et al.)",
    label: "FaceNet, centre crop 2015 · 200M outside images · View 2",
    year: 2015,
    accuracy: 0.9887,
    se: 0.0015,
    trainedOn: "100–200M images of 8M people",
    lfwOnly: false,
    protocol: "View 2, unrestricted, labeled outside data",
    source: "Schroff, Kalenichenko & Philbin, CVPR 2015, §5.7",
    checked: null,
  },
  {
    method: "FaceNet, with face alignment (Schroff et al.)",
    label: "FaceNet, aligned 2015 · 200M outside images · View 2",
    year: 2015,
    accuracy: 0.9963,
    se: 0.0009,
    trainedOn: "100–200M images of 8M people",
    lfwOnly: false,
    protocol: "View 2, unrestricted, labeled outside data",
    source: "Schroff, Kalenichenko & Philbin, CVPR 2015 (arXiv 1503.03832)",
    checked: "abstract: 99.63% (the ± is not in the abstract)",
  },
];

/** One of our results for the comparison. */
export interface OurResult {
  /** e.g. "Zeiler&Fergus, flip + WCCN". */
  method: string;
  /** The chart's short label, e.g. "ours: ZF, flip + WCCN · LFW dev-train only · View 1, people unseen". */
  label: string;
  accuracy: number;
  se: number;
  trainedOn: string;
  protocol: string;
  /** Whether the test pairs' people were unseen in training (View 1), or seen (the slides' pairs.txt). */
  unseenPeople: boolean;
}

/** The network's short name in chart labels. */
function shortNet(network: string): string {
  return network.replace("Zeiler&Fergus", "ZF");
}

/** Our View 1 headline rows (view1_results.ts `view1Headline`) as literature entries. */
export function view1OurResults(headline: View1SummaryRow[]): OurResult[] {
  return headline.map((s) => {
    const net = String(s.network).replace(" (chosen)", "");
    return {
      method: net,
      label: `ours: ${shortNet(net)} · LFW dev-train only · View 1, people unseen`,
      accuracy: s["accuracy %"] / 100,
      se: s.SE / 100,
      trainedOn: `LFW peopleDevTrain only, ${s["training people"].toLocaleString("en-US")} people`,
      protocol: "View 1 pairsDevTest, people unseen",
      unseenPeople: true,
    };
  });
}

/** Our pairs.txt results of the slides-protocol networks (by network name), whose people were trained
 * on, as literature entries (± the SE over the folds). */
export function seenOurResults(results: Record<string, Pick<VerificationResult, "accuracy">>): OurResult[] {
  return Object.entries(results).map(([name, r]) => ({
    method: `${name}, slides' training`,
    label: `ours: ${shortNet(name)}, slides · LFW ≥ 3 images · pairs.txt, people seen`,
    accuracy: r.accuracy.mean,
    se: standardError(r.accuracy.perFold),
    trainedOn: "LFW, 901 people with ≥ 3 images",
    protocol: "View 2 pairs.txt, people seen in training",
    unseenPeople: false,
  }));
}

/** Chart groups, one colour each. */
export const LITERATURE_GROUPS = {
  lfwOnly: "published, trained on LFW only",
  outside: "published, trained on outside data",
  oursUnseen: "ours, View 1 (test people unseen)",
  oursSeen: "ours, pairs.txt (people seen in training)",
} as const;

/** The colour of each group (for barChart). */
export const LITERATURE_COLORS: Record<string, string> = {
  [LITERATURE_GROUPS.lfwOnly]: "#54a24b",
  [LITERATURE_GROUPS.outside]: "#4c78a8",
  [LITERATURE_GROUPS.oursUnseen]: "#f58518",
  [LITERATURE_GROUPS.oursSeen]: "#bab0ac",
};

/** The table as rows for literature.csv: the published entries, then ours (which have no year: they are
 * not dated by the clock of whoever runs the notebook). */
export function literatureRows(ours: OurResult[] = []): Record<string, string | number | null>[] {
  const pct = (v: number | null) => v === null ? null : Number((100 * v).toFixed(2));
  return [
    ...LITERATURE.map((e) => ({
      method: e.method,
      year: e.year,
      "accuracy %": pct(e.accuracy),
      "SE %": pct(e.se),
      "trained on": e.trainedOn,
      protocol: e.protocol,
      group: e.lfwOnly ? LITERATURE_GROUPS.lfwOnly : LITERATURE_GROUPS.outside,
      source: e.source,
      "checked against": e.checked ?? "not re-checked",
    })),
    ...ours.map((o) => ({
      method: `ours: ${o.method}`,
      year: null,
      "accuracy %": pct(o.accuracy),
      "SE %": pct(o.se),
      "trained on": o.trainedOn,
      protocol: o.protocol,
      group: o.unseenPeople ? LITERATURE_GROUPS.oursUnseen : LITERATURE_GROUPS.oursSeen,
      source: "this repository",
      "checked against": "computed here",
    })),
  ];
}

/** A bar for lib/plots barChart: its label says what it trained on and under which protocol (short:
 * the full wording is in literatureRows). */
export interface LiteratureBar {
  label: string;
  value: number;
  group: string;
  lo?: number;
  hi?: number;
}

/** Bars for the published results and ours, ± 1 SE as error bars where known. */
export function literatureBars(ours: OurResult[] = []): LiteratureBar[] {
  const bar = (label: string, accuracy: number, se: number | null, group: string): LiteratureBar => ({
    label,
    value: accuracy,
    group,
    ...(se === null ? {} : { lo: accuracy - se, hi: Math.min(1, accuracy + se) }),
  });
  return [
    ...LITERATURE.map((e) =>
      bar(e.label, e.accuracy, e.se, e.lfwOnly ? LITERATURE_GROUPS.lfwOnly : LITERATURE_GROUPS.outside)
    ),
    ...ours.map((o) =>
      bar(
        o.label,
        o.accuracy,
        o.se,
        o.unseenPeople ? LITERATURE_GROUPS.oursUnseen : LITERATURE_GROUPS.oursSeen,
      )
    ),
  ];
}
