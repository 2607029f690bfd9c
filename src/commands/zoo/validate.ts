import { TsmCommand } from '../../cli/base-command.js';
import { zooFlag } from '../../cli/zoo-flag.js';
import { TsmError } from '../../errors.js';
import { type ValidationIssue, validateZooFile } from '../../zoo/index.js';
import { locateZoo } from '../../zoo/locate.js';

export interface ZooValidateResult {
  readonly models: number;
  readonly checkedArtifacts: number;
  readonly issues: readonly ValidationIssue[];
}

export default class ZooValidate extends TsmCommand {
  static override description = 'Check zoo.json: schema, duplicate versions, and checksums of local artifacts';
  static override flags = { zoo: zooFlag() };

  async run(): Promise<ZooValidateResult> {
    const { flags } = await this.parse(ZooValidate);
    const zoo = locateZoo(flags.zoo).location;
    const result = validateZooFile(zoo);
    if (result.issues.length) {
      throw new TsmError(
        'input',
        'E_ZOO_INVALID',
        `${zoo}: ${result.issues.length} problem(s): ` +
          `${result.issues.map((i) => `${i.model}: ${i.problem}`).join('; ')}`,
        { details: { issues: result.issues } },
      );
    }
    if (!this.jsonEnabled())
      this.log(
        `${zoo}: ${result.models} entries valid, ${result.checkedArtifacts} local artifact(s) match their sha256`,
      );
    return result;
  }
}
