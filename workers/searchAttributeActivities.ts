import type { Client } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { BOT_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

export interface SearchAttributeActivities {
  /**
   * True when the namespace has every bot search attribute with its type. A workflow that upserts an
   * unregistered attribute has its workflow tasks refused until someone registers it, so a day asks first
   * and goes without them (docs/temporal.md, "Finding workflows").
   */
  botSearchAttributesRegistered(): Promise<boolean>;
}

/** The server's IndexedValueType numbers (temporal.api.enums.v1), as listSearchAttributes reports types. */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };

export function createSearchAttributeActivities(client: Client, namespace: string, warn: (s: string) => void = console.warn): SearchAttributeActivities {
  let registered = false;
  return {
    async botSearchAttributesRegistered() {
      if (registered) return true;
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
      const missing = BOT_SEARCH_ATTRIBUTES.filter((k) => customAttributes?.[k.name] !== INDEXED_VALUE_TYPE[k.type]);
      if (missing.length > 0) {
        warn(`namespace ${namespace} lacks search attributes ${missing.map((k) => `${k.name} (${k.type})`).join(', ')}; days run without them (README, "Production")`);
        return false;
      }
      registered = true;
      return true;
    },
  };
}
