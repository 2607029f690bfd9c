/** MobileNetV2 on the frame tensor: inverted residuals, the shift on the first conv of shifted blocks, ReLU6 as Clip. */
import type { MobileNetV2Backbone } from '../../arch/spec.js';
import type { Feature, GraphContext } from '../graph.js';
import { shiftFeature } from '../blocks/temporal-shift.js';

export function mobilenetV2Backbone(ctx: GraphContext, f: Feature, b: MobileNetV2Backbone): Feature {
  let x = ctx.conv(f, b.stem, 'relu6');
  for (const block of b.blocks) {
    let y = block.shift ? shiftFeature(ctx, x, block.name) : x;
    block.convs.forEach((c, i) => {
      y = ctx.conv(y, c, i < block.convs.length - 1 ? 'relu6' : 'none');
    });
    x = block.residual ? { ...y, x: ctx.activation(ctx.g.op('Add', [x.x, y.x])) } : y;
  }
  return ctx.conv(x, b.last, 'relu6');
}
