"""The two ways input is refused, each carrying one sentence for the user.

They live apart from what raises them so that any module can raise or catch
them without importing the live ``Sheet`` or the file loaders.
"""


class EditError(ValueError):
    """An edit that cannot be made; the message is one sentence for the user."""


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message is one sentence for the user."""
