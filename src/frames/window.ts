/** The part of a resized image to compute: output columns [left, left + width), rows [top, top + height). */
export interface ResizeWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}
