/**
 * Faces in arbitrary photos: detection (face-api, offline weights), cropping to the training
 * framing, the user's own photos (and keeping what is derived from them out of tracked files) or a
 * default set of unseen people, and composed group photos.
 * The pieces live in `lib/faces/`; this module gathers them for notebooks.
 */
export {
  type Box,
  detectFaces,
  type DetectOptions,
  type DetectorModel,
  type Face,
  faceModelDir,
  iou,
  loadDetector,
  type Point,
} from "./detector.ts";
export { checkRgbImage, encodePng, grayToRgb, type ImageSource, readImage, type RgbImage } from "./image.ts";
export {
  cropFace,
  type CropOptions,
  type CropWindow,
  cropWindow,
  eyeCentres,
  faceWindow,
  LFW_REFERENCE,
  type LfwReference,
  measureLfwReference,
  sampleWindow,
  trainingWindow,
  windowFromBox,
  windowFromEyes,
} from "./crop.ts";
export {
  chooseUnseenPeople,
  type ChosenPeople,
  cropPeople,
  type CropPeopleOptions,
  defaultUnseenPeople,
  loadOwnFaces,
  type PeopleFaces,
  type UnseenOptions,
  type UnseenPeople,
  type UnseenSource,
} from "./people.ts";
export {
  checkPhotoCounts,
  listPeoplePhotos,
  OWN_FACES_NOTEBOOK,
  ownFacesFigureDir,
  ownGroupPhotos,
  ownPhotosDir,
  ownPhotosPresent,
  type PersonPhotos,
  PHOTO_EXTENSIONS,
  privateOutputs,
} from "./own.ts";
export {
  composeGroupPhoto,
  type ComposeOptions,
  type GroupMember,
  type GroupPhoto,
  memberAt,
} from "./group.ts";
