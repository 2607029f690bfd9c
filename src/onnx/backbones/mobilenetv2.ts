/** MobileNetV2 on the frame tensor: inverted residuals, the shift on the first conv of shifted blocks, ReLU6 as Clip. */
import type { MobileNetV2Backbone } from '../../model/spec.js';
import type { Feature, GraphContext } from '../graph.js';
import { shiftFeature } from '../blocks/temporal-shift.js';

/**
 * Tensors narrower than 16 channels are padded with zeros to 16 (GraphContext.conv): at width ×0.5 the first
 * projections have 8 and 12 channels, which onnxruntime cannot keep in its blocked layout, and the next expansion then
 * runs in its slow NCHW-input kernel (features.2.conv.0 alone took a third of the bundled model's kernel time).
 */
const PAD_CHANNELS = 16;

export function mobilenetV2Backbone(ctx: GraphContext, f: Feature, b: MobileNetV2Backbone): Feature {
  let x = ctx.conv(f, b.stem, 'relu6', PAD_CHANNELS);
  for (const block of b.blocks) {
    let y = block.shift ? shiftFeature(ctx, x, block.name) : x;
    block.convs.forEach((c, i) => {
      y = ctx.conv(y, c, i < block.convs.length - 1 ? 'relu6' : 'none', PAD_CHANNELS);
    });
    x = block.residual ? { ...y, x: ctx.activation(ctx.g.op('Add', [x.x, y.x])) } : y;
  }
  return ctx.conv(x, b.last, 'relu6');
}
