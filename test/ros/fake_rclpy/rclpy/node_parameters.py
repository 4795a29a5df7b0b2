"""Parameters of the stand-in Node: declare, get, set, and the on-set validation callbacks."""
from rcl_interfaces.msg import SetParametersResult
from rclpy.parameter import Parameter


class NodeParameters:
    """The parameter half of rclpy.node.Node, with rclpy's signatures and refusals."""

    def _init_parameters(self, parameter_overrides) -> None:
        self._overrides = {p.name: p for p in parameter_overrides or []}
        self._parameters = {}
        self._descriptors = {}
        self._on_set = []

    def declare_parameter(self, name, value=None, descriptor=None, ignore_override=False):
        """Declare a parameter; an override given at construction wins over `value`.

        Like rclpy, the override must have the default's type unless the descriptor says
        dynamic_typing (an empty-list default is a BYTE_ARRAY whatever descriptor.type says).
        """
        if name in self._parameters:
            raise RuntimeError(f'parameter {name!r} already declared')
        parameter = self._overrides.get(name) if not ignore_override else None
        parameter = parameter or Parameter(name, value=value)
        dynamic = descriptor is not None and descriptor.dynamic_typing
        if not dynamic and parameter.type_ is not Parameter.Type.from_parameter_value(value):
            raise TypeError(f'parameter {name!r} declared as {type(value).__name__} but '
                            f'overridden with {parameter.value!r}')
        result = self._run_on_set([parameter])
        if not result.successful:
            raise ValueError(f'parameter {name!r} refused: {result.reason}')
        self._parameters[name] = parameter
        self._descriptors[name] = descriptor
        return parameter

    def get_parameter(self, name):
        """Return a declared parameter."""
        if name not in self._parameters:
            raise LookupError(f'parameter {name!r} is not declared')
        return self._parameters[name]

    def add_on_set_parameters_callback(self, callback) -> None:
        """Validate changes with `callback(parameters) -> SetParametersResult`."""
        self._on_set.insert(0, callback)

    def set_parameters(self, parameter_list):
        """Set each parameter in turn; read-only or re-typed ones are refused like rclpy."""
        return [self._set_one(parameter) for parameter in parameter_list]

    def _set_one(self, parameter):
        if parameter.name not in self._parameters:
            return SetParametersResult(successful=False,
                                       reason=f'parameter {parameter.name} not declared')
        descriptor = self._descriptors[parameter.name]
        if descriptor is not None and descriptor.read_only:
            return SetParametersResult(successful=False,
                                       reason='Trying to set a read-only parameter: '
                                              f'{parameter.name}.')
        if parameter.type_ is not self._parameters[parameter.name].type_:
            return SetParametersResult(successful=False, reason='Wrong parameter type, '
                                       f'expected {self._parameters[parameter.name].type_}')
        result = self._run_on_set([parameter])
        if result.successful:
            self._parameters[parameter.name] = parameter
        return result

    def _run_on_set(self, parameters):
        for callback in self._on_set:
            result = callback(parameters)
            if not isinstance(result, SetParametersResult):
                raise TypeError('on-set-parameters callback must return a SetParametersResult')
            if not result.successful:
                return result
        return SetParametersResult(successful=True, reason='')
