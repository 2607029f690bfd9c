import { isAbsolute, join } from 'node:path';

/** A list id that names a video file: as given when absolute, else under the dataset root. */
export const videoPath = (root: string, id: string) => (isAbsolute(id) ? id : join(root, id));
