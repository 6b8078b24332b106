/**
 * Faces in arbitrary photos: detection (face-api, offline weights), cropping to the training
 * framing, the user's own photos or a default set of unseen people, and composed group photos.
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
  cropPeople,
  type CropPeopleOptions,
  defaultUnseenPeople,
  listPeoplePhotos,
  loadOwnFaces,
  ownGroupPhotos,
  ownPhotosDir,
  type PeopleFaces,
  type PersonPhotos,
  PHOTO_EXTENSIONS,
  type UnseenOptions,
  type UnseenPeople,
  type UnseenSource,
} from "./people.ts";
export {
  composeGroupPhoto,
  type ComposeOptions,
  type GroupMember,
  type GroupPhoto,
  memberAt,
} from "./group.ts";
