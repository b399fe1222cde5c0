import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

type Fragments = (name: string) => FragmentDefinitionNode | null | undefined;

/**
 * How deeply selections nest. Every field with a selection set and every fragment counts
 * as a level, so nested fragments cannot hide depth either.
 */
export function selectionDepth(set: SelectionSetNode, fragments: Fragments, path: Set<string> = new Set()): number {
  let max = 0;
  for (const sel of set.selections) {
    let depth = 0;
    if (sel.kind === Kind.FIELD) {
      depth = sel.selectionSet ? 1 + selectionDepth(sel.selectionSet, fragments, path) : 0;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      depth = 1 + selectionDepth(sel.selectionSet, fragments, path);
    } else {
      const name = sel.name.value;
      const fragment = fragments(name);
      // A cycle is NoFragmentCyclesRule's to report; stop here.
      if (fragment && !path.has(name)) {
        path.add(name);
        depth = 1 + selectionDepth(fragment.selectionSet, fragments, path);
        path.delete(name);
      }
    }
    if (depth > max) max = depth;
  }
  return max;
}

/** Each field costs 1; a list multiplies what is selected beneath it by `listFactor`. */
export function selectionCost(
  set: SelectionSetNode,
  parent: GraphQLCompositeType,
  context: { fragments: Fragments; schemaType: (name: string) => GraphQLCompositeType | undefined },
  listFactor = 10,
  multiplier = 1,
  path: Set<string> = new Set(),
): number {
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      cost += multiplier;
      if (!sel.selectionSet) continue;
      const field = fieldOf(parent, sel.name.value);
      if (field === undefined) continue;
      const type = getNamedType(field.type);
      if (!isCompositeType(type)) continue;
      const inner = isListType(getNullableType(field.type)) ? multiplier * listFactor : multiplier;
      cost += selectionCost(sel.selectionSet, type, context, listFactor, inner, path);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const type = sel.typeCondition ? (context.schemaType(sel.typeCondition.name.value) ?? parent) : parent;
      cost += selectionCost(sel.selectionSet, type, context, listFactor, multiplier, path);
    } else {
      const name = sel.name.value;
      const fragment = context.fragments(name);
      if (!fragment || path.has(name)) continue;
      path.add(name);
      const type = context.schemaType(fragment.typeCondition.name.value) ?? parent;
      cost += selectionCost(fragment.selectionSet, type, context, listFactor, multiplier, path);
      path.delete(name);
    }
  }
  return cost;
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (isObjectType(parent) || isInterfaceType(parent)) return parent.getFields()[name];
  return undefined;
}

function rootType(context: ValidationContext, op: OperationDefinitionNode): GraphQLCompositeType | undefined {
  const schema = context.getSchema();
  const type =
    op.operation === 'query'
      ? schema.getQueryType()
      : op.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  return type ?? undefined;
}

function eachOperation(check: (op: OperationDefinitionNode) => void): ASTVisitor {
  return {
    OperationDefinition(op) {
      check(op);
      return false;
    },
  };
}

/** Refuses operations whose selections nest deeper than `maxDepth`. */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) =>
    eachOperation((op) => {
      const depth = selectionDepth(op.selectionSet, (name) => context.getFragment(name));
      if (depth > maxDepth) {
        context.reportError(
          new GraphQLError(`the query nests ${depth} levels deep; at most ${maxDepth} are allowed`, {
            nodes: [op],
            extensions: { reason: 'MAX_DEPTH' },
          }),
        );
      }
    });
}

/** Refuses operations whose estimated cost (fields, lists counting ten times) exceeds `maxCost`. */
export function costLimitRule(maxCost: number, listFactor = 10): ValidationRule {
  return (context) =>
    eachOperation((op) => {
      const root = rootType(context, op);
      if (root === undefined) return;
      const schema = context.getSchema();
      const cost = selectionCost(
        op.selectionSet,
        root,
        {
          fragments: (name) => context.getFragment(name),
          schemaType: (name) => {
            const type = schema.getType(name);
            return type && isCompositeType(type) ? type : undefined;
          },
        },
        listFactor,
      );
      if (cost > maxCost) {
        context.reportError(
          new GraphQLError(`the query costs ${cost}; at most ${maxCost} is allowed`, {
            nodes: [op],
            extensions: { reason: 'MAX_COST' },
          }),
        );
      }
    });
}

/**
 * How many root fields an operation selects: each one is a call the rate limits charge. Fragments
 * and inline fragments at the root are counted through; a fragment named twice counts once per use.
 */
export function rootFieldCount(operation: OperationDefinitionNode, fragments: Fragments): number {
  const count = (set: SelectionSetNode, path: Set<string>): number => {
    let n = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) n += 1;
      else if (sel.kind === Kind.INLINE_FRAGMENT) n += count(sel.selectionSet, path);
      else {
        const fragment = fragments(sel.name.value);
        if (!fragment || path.has(sel.name.value)) continue;
        path.add(sel.name.value);
        n += count(fragment.selectionSet, path);
        path.delete(sel.name.value);
      }
    }
    return n;
  };
  return Math.max(1, count(operation.selectionSet, new Set()));
}

/** A document's fragments by name. */
export function fragmentsOf(document: DocumentNode): Fragments {
  const byName = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) byName.set(def.name.value, def);
  return (name) => byName.get(name);
}
