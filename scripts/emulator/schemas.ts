import { z } from 'zod';

/** Request bodies at the HTTP edge, as Alpaca's POST /v2/orders documents them (decimals may be strings). */

const decimal = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number')]).transform((v) => Number(v));

export const postOrderSchema = z.object({
  symbol: z.string().min(1, 'symbol is required'),
  qty: decimal.optional(),
  notional: decimal.optional(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']),
  time_in_force: z.enum(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']),
  limit_price: decimal.optional(),
  stop_price: decimal.optional(),
  trail_price: decimal.optional(),
  trail_percent: decimal.optional(),
  extended_hours: z.boolean().optional(),
  client_order_id: z.string().max(128, 'client_order_id must be no more than 128 characters').optional(),
  order_class: z.enum(['simple', '']).optional(),
  position_intent: z.string().optional(),
});

export type PostOrderBody = z.output<typeof postOrderSchema>;

export const quoteOverrideSchema = z
  .object({
    symbol: z.string().min(1),
    /** null clears the override. */
    override: z
      .object({ spreadBps: z.number().nonnegative().optional(), bid: z.number().nonnegative().optional(), ask: z.number().nonnegative().optional() })
      .strict()
      .nullable(),
  })
  .strict();

/** One line per zod issue, `field: problem`, for the error message. */
export function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}
