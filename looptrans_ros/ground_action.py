"""The node's ~/ground action (looptrans_interfaces/action/Ground): one-shot grounding.

Each goal becomes a looptrans_ros.goals.Goal for the pipeline's worker; the execute callback is
a coroutine that awaits the worker's outcome, so the single-threaded executor keeps serving
the stream, /tf, the service and other goals meanwhile.
"""
from typing import Any, Optional

from looptrans_interfaces.action import Ground
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.task import Future

from looptrans_ros.goals import CANCELED, Goal, GoalOutcome, SUCCEEDED
from looptrans_ros.messages import MessageBuilder
from looptrans_ros.roi import Roi


def given(message: Any) -> Optional[Any]:
    """Return an Image of a goal, or None where it was left empty (no size, no data)."""
    return None if not (message.width or message.height or len(message.data)) else message


def given_info(message: Any) -> Optional[Any]:
    """Return a CameraInfo of a goal, or None where it was left empty (an all-zero K)."""
    return message if any(message.k) else None


class GroundActionServer:
    """Serves `~/ground` on `node` with `pipeline` (a GroundingPipeline); destroy() ends it.

    It lives from configure to cleanup, so goals still queued when the node is deactivated get
    their aborted result; goals that come while the node is not active are rejected.
    """

    def __init__(self, node: Node, pipeline: Any, builder: MessageBuilder) -> None:
        self.node, self.pipeline, self.builder = node, pipeline, builder
        self.server = ActionServer(
            node, Ground, '~/ground', execute_callback=self.execute,
            goal_callback=lambda goal: (GoalResponse.ACCEPT if pipeline.running
                                        else GoalResponse.REJECT),
            cancel_callback=lambda goal_handle: CancelResponse.ACCEPT)

    async def execute(self, goal_handle) -> Ground.Result:
        """Queue the goal for the worker, await its outcome, end the goal with it."""
        request = goal_handle.request
        outcome_future = Future()
        # The worker's trigger wakes the executor, which then resumes this coroutine.
        wake = self.node.create_guard_condition(lambda: None)

        def finish(outcome: GoalOutcome) -> None:
            outcome_future.set_result(outcome)
            wake.trigger()

        self.pipeline.submit_goal(Goal(
            actions=tuple(request.actions), image=given(request.image),
            depth=given(request.depth), camera_info=given_info(request.camera_info),
            roi=Roi(request.roi.x_offset, request.roi.y_offset, request.roi.width,
                    request.roi.height),
            target_frame=request.target_frame, timeout_s=float(request.timeout_s),
            feedback=lambda stage: goal_handle.publish_feedback(Ground.Feedback(stage=stage)),
            cancelled=lambda: goal_handle.is_cancel_requested,
            finish=finish))
        outcome: GoalOutcome = await outcome_future
        self.node.destroy_guard_condition(wake)
        if outcome.status == SUCCEEDED:
            goal_handle.succeed()
        elif outcome.status == CANCELED:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        self.node.get_logger().info(f'ground goal {outcome.status}: {outcome.message}')
        return self.result(outcome)

    def result(self, outcome: GoalOutcome) -> Ground.Result:
        """Build the result of `outcome`: maps, peaks and clouds in the goal's action order."""
        result = Ground.Result(message=outcome.message)
        grounding = outcome.grounding
        if grounding is None:
            return result
        header = grounding.frame.header
        for action, found in grounding.results.items():
            spatial = grounding.spatial[action]
            result.heatmaps.append(self.builder.heatmap(header, found.heatmap))
            result.peaks.append(self.builder.peaks(header, action, found.peaks, spatial))
            if spatial is not None:
                result.clouds.append(self.builder.cloud(header, spatial))
        return result

    def destroy(self) -> None:
        """Stop serving the action."""
        self.server.destroy()
