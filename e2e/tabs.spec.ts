// Two tabs of one browser profile share its IndexedDB. Writes are serialised across tabs (a Web
// Lock) and each is whole or absent, so racing tabs never corrupt the store; a change made in one
// tab is announced to the other (BroadcastChannel), whose lists follow at once. A tab training on
// something the other deletes carries on from its copy in memory and says what is gone; its next
// checkpoint is stored again, and a new run on a deleted dataset stops with a message.
import { expect, test } from '@playwright/test';
import { datasetKeys, importTiny, openPage, shortRun, storedSnapshot, trainButton } from './helpers';

test('two tabs load the same package at once, train at once, and one deletes what the other trains on', async ({ context }) => {
  test.slow();
  const [a, b] = [await context.newPage(), await context.newPage()];
  // Both first visits load the shipped package at the same time: one whole copy is kept.
  await Promise.all([openPage(a), openPage(b)]);
  const shipped = datasetKeys(await storedSnapshot(a));
  expect(shipped).toHaveLength(1 + 6); // its record and six files: no second copy, nothing half-written

  // A stores a dataset; B's list shows it without a reload, and B trains on it too.
  await importTiny(a, 'tiny-tabs', { seed: 3, train: [200, 56], test: [40] });
  await b.getByTestId('stored-tiny-tabs').getByRole('button', { name: 'Load', exact: true }).click();
  await expect(b.getByTestId('dataset-status')).toContainText('tiny-tabs:');
  // B's first run leaves a checkpoint, which A's list shows.
  await b.getByLabel('seed', { exact: true }).fill('2');
  await shortRun(b, 4);
  await trainButton(b).click();
  await expect(b.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 60_000 });
  const bRun = 'tiny-tabs/quick+batch=8/seed2';
  await expect(a.getByTestId('checkpoints').getByRole('button', { name: `delete ${bRun}` })).toBeVisible();

  // Both train at once.
  await shortRun(a, 20);
  await shortRun(b, 40);
  await trainButton(a).click();
  await trainButton(b).click();
  await expect(b.getByTestId('train-stats')).toContainText('img/s', { timeout: 60_000 });
  // A deletes B's checkpoint and then the dataset while B trains: B's lists follow, B carries on.
  await a.getByTestId('checkpoints').getByRole('button', { name: `delete ${bRun}` }).click();
  await expect(b.getByTestId('checkpoints').getByRole('button', { name: `delete ${bRun}` })).toHaveCount(0);
  await a.getByTestId('delete-tiny-tabs').click();
  await expect(b.getByTestId('stored-tiny-tabs')).toHaveCount(0);
  await expect(b.getByTestId('dataset-warning')).toContainText('tiny-tabs is no longer stored in this browser (deleted here or in another tab)');
  await expect(a.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });
  await expect(b.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });
  await expect(b.getByTestId('train-stats')).toContainText('step 40');
  // B's run stored its checkpoint again at its end; A's list shows it.
  const checkpoints = Object.keys(await storedSnapshot(a)).filter((k) => k.startsWith('tessera-checkpoints:'));
  expect(checkpoints).toEqual(['tessera-checkpoints:"tiny-tabs/quick+batch=8/seed1"', `tessera-checkpoints:"${bRun}"`]);
  // The dataset's files went with it; the shipped package is untouched.
  expect(datasetKeys(await storedSnapshot(b))).toEqual(shipped);

  // A new run on the deleted dataset stops with a message, not a crash.
  await trainButton(b).click();
  await expect(b.getByTestId('train-error')).toContainText('No dataset named "tiny-tabs" is stored', { timeout: 60_000 });
});
