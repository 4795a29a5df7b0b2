"""Name expansion and `--ros-args -r from:=to` remapping, as rcl applies them (stand-in only)."""
from typing import Dict, Sequence


def expand_topic_name(topic_name: str, node_name: str, node_namespace: str) -> str:
    """Expand `~/x` to the node's private name and a relative name into its namespace."""
    base = node_namespace.rstrip('/')
    if topic_name.startswith('~'):
        return f'{base}/{node_name}{topic_name[1:]}'
    return topic_name if topic_name.startswith('/') else f'{base}/{topic_name}'


def remap_rules(cli_args: Sequence[str]) -> Dict[str, str]:
    """Return from -> to of the `-r`/`--remap` rules after `--ros-args`."""
    rules, in_ros_args, args = {}, False, list(cli_args)
    for flag, value in zip(args, args[1:] + ['']):
        if flag in ('--ros-args', '--'):
            in_ros_args = flag == '--ros-args'
        elif in_ros_args and flag in ('-r', '--remap'):
            source, separator, target = value.partition(':=')
            if not separator or not source or not target:
                raise ValueError(f'remap rule {value!r} is not of the form from:=to')
            rules[source] = target
    return rules
