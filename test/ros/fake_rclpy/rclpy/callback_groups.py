"""Stand-in callback groups (markers only: the stand-in calls callbacks directly)."""


class CallbackGroup:
    """Base callback group."""


class MutuallyExclusiveCallbackGroup(CallbackGroup):
    """Callbacks of the group run one at a time."""


class ReentrantCallbackGroup(CallbackGroup):
    """Callbacks of the group may run in parallel."""
