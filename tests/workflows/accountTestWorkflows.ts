// Workflows bundled for the account tests: the account itself, and a stand-in for a session that
// holds grants and must hear when its broker is halted.
import { condition, setHandler } from '@temporalio/workflow';
import { brokerHaltedSignal, type BrokerHaltedNotice } from '../../workflows/accountApi';

export { accountWorkflow } from '../../workflows/account';

export async function haltListenerWorkflow(): Promise<BrokerHaltedNotice> {
  let notice: BrokerHaltedNotice | undefined;
  setHandler(brokerHaltedSignal, (n) => {
    notice = n;
  });
  await condition(() => notice !== undefined);
  return notice as BrokerHaltedNotice;
}
