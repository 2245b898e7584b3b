import type { FastifyPluginAsync } from 'fastify';
import type { DashboardContext } from '../http/context';

/** A route group: one fastify plugin, given the dashboard's shared context. */
export type RoutePlugin = FastifyPluginAsync<{ readonly ctx: DashboardContext }>;
