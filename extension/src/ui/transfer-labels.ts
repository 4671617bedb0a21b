// The words of the transfer actions, in the menu and the launcher alike.

import { _ } from '../gi.js';
import type { TransferAction } from '../model/transfer.js';

export function transferLabel(action: TransferAction): string {
  switch (action) {
    case 'Export':
      return _('Export…');
    case 'Clone':
      return _('Clone…');
    case 'MigrateTo':
      return _('Move to…');
  }
}
