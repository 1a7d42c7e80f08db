/**
 * The example `weft dev` runs: an order fulfilment workflow in namespace `fulfillment` whose
 * steps request child tasks in the namespaces `inventory` and `notifications`.
 *
 *   fulfillment/order_fulfillment: validate_order → (reserve_inventory ‖ charge_payment) → ship_order → notify_customer
 *   inventory/reserve_stock:       check_stock → hold_stock
 *   notifications/send_receipt:    render_receipt → send_email
 */
import { defineWorkflow, type WorkflowDefinition } from '../workflows/definition.js';
import { PermanentError, type StepHandler } from '../worker/handler.js';

interface OrderContext {
  order_id: string;
  customer: string;
  items: { sku: string; qty: number; price: number }[];
}

export const exampleWorkflows: WorkflowDefinition[] = [
  defineWorkflow({ namespace: 'fulfillment', name: 'order_fulfillment', version: '1.0.0', description: 'Take an order from payment to the customer’s receipt.' })
    .step('validate_order', { handler: 'fulfillment.validate_order' })
    .step('reserve_inventory', { handler: 'fulfillment.reserve_inventory', dependsOn: ['validate_order'], retry: 'standard' })
    .step('charge_payment', { handler: 'fulfillment.charge_payment', dependsOn: ['validate_order'], retry: { strategy: 'exponential', base_ms: 200, max_attempts: 4 } })
    .step('ship_order', { handler: 'fulfillment.ship_order', dependsOn: ['reserve_inventory', 'charge_payment'], timeoutMs: 30_000 })
    .step('notify_customer', { handler: 'fulfillment.notify_customer', dependsOn: ['ship_order'] })
    .build(),
  defineWorkflow({ namespace: 'inventory', name: 'reserve_stock', version: '1.0.0' })
    .step('check_stock', { handler: 'inventory.check_stock' })
    .step('hold_stock', { handler: 'inventory.hold_stock', dependsOn: ['check_stock'] })
    .build(),
  defineWorkflow({ namespace: 'notifications', name: 'send_receipt', version: '1.0.0' })
    .step('render_receipt', { handler: 'notifications.render_receipt' })
    .step('send_email', { handler: 'notifications.send_email', dependsOn: ['render_receipt'] })
    .build(),
];

/** A sample order for `weft dev`. */
export function sampleOrder(n = 1): OrderContext {
  return {
    order_id: `ORD-${String(1000 + n)}`,
    customer: 'ada@example.com',
    items: [
      { sku: 'LOOM-01', qty: 1, price: 129.0 },
      { sku: 'YARN-RED', qty: 3, price: 8.5 },
    ],
  };
}

const order = (ctx: { context: Record<string, unknown> }) => ctx.context as unknown as OrderContext;

export const exampleHandlers: Record<string, StepHandler> = {
  'fulfillment.validate_order': (ctx) => {
    const o = order(ctx);
    if (!Array.isArray(o.items) || o.items.length === 0) throw new PermanentError(`order ${o.order_id} has no items`, { code: 'empty_order' });
    const total = o.items.reduce((sum, i) => sum + i.qty * i.price, 0);
    return { order_id: o.order_id, total: Math.round(total * 100) / 100 };
  },
  'fulfillment.reserve_inventory': async (ctx) => {
    const o = order(ctx);
    const child = await ctx.requestChildTask({ namespace: 'inventory', workflow: 'reserve_stock', key: 'reserve', context: { order_id: o.order_id, items: o.items } });
    return { reservation_task: child };
  },
  'fulfillment.charge_payment': (ctx) => {
    const validated = ctx.parents.validate_order as { total: number };
    return { charged: validated.total, currency: 'EUR', payment_id: `PAY-${ctx.taskId.slice(-8)}` };
  },
  'fulfillment.ship_order': (ctx) => ({ carrier: 'weft-post', tracking: `TRK-${ctx.taskId.slice(-6)}`, paid: (ctx.parents.charge_payment as { charged: number }).charged }),
  'fulfillment.notify_customer': async (ctx) => {
    const o = order(ctx);
    const child = await ctx.requestChildTask({ namespace: 'notifications', workflow: 'send_receipt', key: 'receipt', context: { to: o.customer, order_id: o.order_id, shipment: ctx.parents.ship_order } });
    return { receipt_task: child };
  },
  'inventory.check_stock': (ctx) => ({ available: ((ctx.context.items as { sku: string }[]) ?? []).map((i) => i.sku) }),
  'inventory.hold_stock': (ctx) => ({ held: (ctx.parents.check_stock as { available: string[] }).available.length }),
  'notifications.render_receipt': (ctx) => ({ subject: `Your order ${String(ctx.context.order_id)} is on its way` }),
  'notifications.send_email': (ctx) => ({ sent_to: ctx.context.to, subject: (ctx.parents.render_receipt as { subject: string }).subject }),
};
