"""Stand-in rclpy.parameter.Parameter."""
from enum import Enum


class Parameter:
    """A named, typed parameter value: Parameter(name, type_=None, value=None)."""

    class Type(Enum):
        """Parameter types, inferred from a value like rclpy does."""

        NOT_SET = 0
        BOOL = 1
        INTEGER = 2
        DOUBLE = 3
        STRING = 4
        BYTE_ARRAY = 5
        BOOL_ARRAY = 6
        INTEGER_ARRAY = 7
        DOUBLE_ARRAY = 8
        STRING_ARRAY = 9

        @classmethod
        def from_parameter_value(cls, value):
            """Return the type of a Python value; like rclpy, [] is a BYTE_ARRAY."""
            scalars = ((cls.NOT_SET, type(None)), (cls.BOOL, bool), (cls.INTEGER, int),
                       (cls.DOUBLE, float), (cls.STRING, str))
            for kind, python_type in scalars:
                if type(value) is python_type:
                    return kind
            arrays = ((cls.BYTE_ARRAY, bytes), (cls.BOOL_ARRAY, bool), (cls.INTEGER_ARRAY, int),
                      (cls.DOUBLE_ARRAY, float), (cls.STRING_ARRAY, str))
            for kind, item_type in arrays if isinstance(value, (list, tuple)) else ():
                if all(type(item) is item_type for item in value):
                    return kind
            raise TypeError(f'The given value is not one of the allowed types {value!r}.')

    def __init__(self, name, type_=None, value=None) -> None:
        self._type_ = Parameter.Type.from_parameter_value(value) if type_ is None else type_
        if Parameter.Type.from_parameter_value(value) is not self._type_:
            raise TypeError(f'Type {self._type_} and value {value!r} do not agree')
        self._name = name
        self._value = value

    @property
    def name(self):
        """The parameter's name."""
        return self._name

    @property
    def value(self):
        """The parameter's value."""
        return self._value

    @property
    def type_(self):
        """The parameter's type."""
        return self._type_
