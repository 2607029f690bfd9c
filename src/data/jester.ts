/** Jester's 27 classes as `category.txt` lists them: sorted, index = line number (TSM-FACTS §3). */
export const JESTER_LABELS: readonly string[] = Object.freeze([
  'Doing other things', 'Drumming Fingers', 'No gesture', 'Pulling Hand In', 'Pulling Two Fingers In',
  'Pushing Hand Away', 'Pushing Two Fingers Away', 'Rolling Hand Backward', 'Rolling Hand Forward', 'Shaking Hand',
  'Sliding Two Fingers Down', 'Sliding Two Fingers Left', 'Sliding Two Fingers Right', 'Sliding Two Fingers Up',
  'Stop Sign', 'Swiping Down', 'Swiping Left', 'Swiping Right', 'Swiping Up', 'Thumb Down', 'Thumb Up',
  'Turning Hand Clockwise', 'Turning Hand Counterclockwise', 'Zooming In With Full Hand', 'Zooming In With Two Fingers',
  'Zooming Out With Full Hand', 'Zooming Out With Two Fingers',
]);

/** ImageNet normalisation used by every TSM model (inputs first scaled to [0, 1]). */
export const IMAGENET_MEAN = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD = Object.freeze([0.229, 0.224, 0.225]);

/** Flow input (TSM models.py for ResNet and MobileNetV2): mean 0.5, std = the mean of ImageNet's stds, on every channel. */
export const FLOW_MEAN = 0.5;
export const FLOW_STD = (IMAGENET_STD[0] + IMAGENET_STD[1] + IMAGENET_STD[2]) / 3;
