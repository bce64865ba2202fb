"""Depth and alias limits that cost one pass over the document, whatever its fragments do.

Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter` expand every fragment spread along
every path, so a document whose fragments each spread the next one twice costs 2^n visits:
about 1 KB of such fragments kept a process busy for minutes. These rules give the same
answers (depth counted from 0 at the top-level fields, as Strawberry counts it; an alias
counted once per place it would appear once fragments are expanded) but measure each
fragment once and reuse the figure, so the cost grows with the document's size only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


class _Measure:
    """Depth and alias count of every fragment of one document, each computed once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}

    def depth(self, selections: SelectionSetNode) -> int:
        """The deepest level below this selection set (0: its fields are leaves)."""
        deepest = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                # Introspection fields are not counted, as Strawberry does not count them.
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection, self._depths, self.depth))
        return deepest

    def aliases(self, selections: SelectionSetNode) -> int:
        """The aliases this selection set holds once its fragments are expanded."""
        count = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection, self._aliases, self.aliases)
        return count

    def _fragment(
        self,
        spread: FragmentSpreadNode,
        memo: dict[str, int],
        measure: Callable[[SelectionSetNode], int],
    ) -> int:
        name = spread.name.value
        if name not in memo:
            fragment = self.fragments.get(name)
            # Unknown and cyclic fragments count 0 here; other rules refuse those documents.
            memo[name] = 0
            memo[name] = measure(fragment.selection_set) if fragment else 0
        return memo[name]


def document_limits(*, max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing operations deeper than `max_depth` and documents with more
    than `max_aliases` aliases, with Strawberry's messages."""

    class DocumentLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _Measure(context.document)
            operations = [
                definition
                for definition in context.document.definitions
                if isinstance(definition, OperationDefinitionNode)
            ]
            for operation in operations:
                if measure.depth(operation.selection_set) > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    message = f"'{name}' exceeds maximum operation depth of {max_depth}"
                    context.report_error(GraphQLError(message, operation))
            total: Any = sum(measure.aliases(operation.selection_set) for operation in operations)
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return DocumentLimits
