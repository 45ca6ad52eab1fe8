/** The demo's closing report: what happened, read back from the services' own APIs. */
import type { ScenarioResult, System } from './scenario.js';

interface OutboxStatusView {
  backlog: number;
  published: number;
  dead: number;
}

interface SagaView {
  status: string;
  steps: unknown[];
}

/** Prints the summary a person reads after the scenario. */
export async function printSummary(
  system: System,
  result: ScenarioResult,
  print: (line: string) => void,
): Promise<void> {
  const orders = [
    ...result.succeeded,
    result.shortOfStock,
    result.paymentDeclined,
    result.cancelled,
  ];
  const byStatus = new Map<string, number>();
  for (const order of orders) byStatus.set(order.status, (byStatus.get(order.status) ?? 0) + 1);
  print('');
  print('== Orders');
  print(`   ${[...byStatus].map(([status, count]) => `${status}: ${count}`).join('   ')}`);
  const describe = (
    label: string,
    order: { id: string; status: string; cancellationReason: string | null },
  ): string =>
    `   ${label.padEnd(18)} ${order.id}  ${order.status}${order.cancellationReason ? ` (${order.cancellationReason})` : ''}`;
  result.succeeded.forEach((order, index) => print(describe(`succeeded #${index + 1}`, order)));
  print(describe('short of stock', result.shortOfStock));
  print(describe('payment declined', result.paymentDeclined));
  print(describe('cancelled', result.cancelled));

  print('');
  print('== Sagas');
  for (const order of orders) {
    const saga = (await system.order.call<SagaView>('GET', `/api/sagas/${order.sagaId}`)).body;
    print(`   ${order.sagaId}  ${saga.status.padEnd(12)} ${saga.steps.length} step-log entries`);
  }

  const stats = (
    await system.relay.call<{
      sources: Record<string, OutboxStatusView>;
      connectors: Record<string, string>;
    }>('GET', '/api/events/stats')
  ).body;
  print('');
  print('== Events relayed (outbox → Kafka)');
  for (const [source, status] of Object.entries(stats.sources)) {
    print(
      `   ${source.padEnd(12)} published ${status.published}   backlog ${status.backlog}   dead ${status.dead}`,
    );
  }
  print(
    `   connectors: ${Object.entries(stats.connectors)
      .map(([name, state]) => `${name} ${state}`)
      .join(', ')}`,
  );

  print('');
  print('== Cache');
  for (const [service, client] of [
    ['order-service', system.order],
    ['inventory-service', system.inventory],
  ] as const) {
    const { caches } = (
      await client.call<{ caches: Record<string, { hits: number; misses: number }> }>(
        'GET',
        '/actuator/cache',
      )
    ).body;
    for (const [name, stats] of Object.entries(caches)) {
      const total = stats.hits + stats.misses;
      print(
        `   ${service} ${name}: ${stats.hits} hits, ${stats.misses} misses, hit ratio ${total === 0 ? '-' : (stats.hits / total).toFixed(2)}`,
      );
    }
  }

  print('');
  print('== Try next');
  print(
    `   ${system.relay.url}console/           the TrackOps console (orders, sagas, outbox, CDC, cache)`,
  );
  print(`      admin token for its replay buttons: ${system.adminToken}`);
  print(`   ${system.order.url}docs               order-service API (OpenAPI: /openapi.json)`);
  print(`   ${system.inventory.url}docs               inventory-service API`);
  print(`   ${system.relay.url}docs               event-relay-service API`);
  print(`   curl ${system.order.url}api/orders/${result.succeeded[0]?.id ?? ''}`);
  print(`   curl ${system.relay.url}api/events/stats`);
  print(`   curl ${system.order.url}actuator/health`);
  print(
    `   curl -X POST ${system.order.url}api/orders -H 'authorization: Bearer ${system.customerToken}' \\`,
  );
  print(
    `        -H 'content-type: application/json' -d '{"customerId":"you","items":[{"sku":"${result.skus.plenty}","quantity":1,"unitPrice":"9.90"}]}'`,
  );
  print('   (the token above is a development token with role "customer", valid 12 hours)');
}
