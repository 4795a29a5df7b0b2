"""Message modules (`sensor_msgs.msg`, ...) backed by rosbags dataclasses, for the stand-in.

Each class behaves like an rclpy message class: keyword arguments with defaults, constants as
class attributes, field types checked on assignment, and uint8[]/float64[N] fields accepting
bytes, array.array or lists. `serialize_all` serialises a message with the Humble and the
Jazzy typestore, so a wrong field name or type fails the test that published it.
"""
import array
from pathlib import Path
import sys
import types

import numpy as np
from rosbags.typesys import get_types_from_msg, get_typestore, Stores
from rosbags.typesys.base import Nodetype

INTERFACES = Path(__file__).resolve().parents[3] / 'looptrans_interfaces'
PACKAGES = ('builtin_interfaces', 'std_msgs', 'geometry_msgs', 'sensor_msgs',
            'visualization_msgs', 'diagnostic_msgs', 'rcl_interfaces', 'looptrans_interfaces')
NUMPY_TYPES = {'bool': np.bool_, 'byte': np.uint8, 'char': np.uint8, 'int8': np.int8,
               'uint8': np.uint8, 'int16': np.int16, 'uint16': np.uint16, 'int32': np.int32,
               'uint32': np.uint32, 'int64': np.int64, 'uint64': np.uint64,
               'float32': np.float32, 'float64': np.float64}
PYTHON_TYPES = {'bool': bool, 'string': str, 'float32': float, 'float64': float}


def interface_types() -> dict:
    """Typesdict of our .msg files and the request/response halves of our .srv files."""
    found = {}
    for path in sorted((INTERFACES / 'msg').glob('*.msg')):
        found.update(get_types_from_msg(path.read_text(), f'looptrans_interfaces/msg/{path.stem}'))
    for path in sorted((INTERFACES / 'srv').glob('*.srv')):
        request, response = path.read_text().split('\n---\n')
        for half, text in (('Request', request), ('Response', response)):
            name = f'looptrans_interfaces/srv/{path.stem}_{half}'
            found[name] = get_types_from_msg(text, name).popitem()[1]
    return found


def load_store(store: Stores):
    """Return a rosbags typestore with our interfaces registered."""
    typestore = get_typestore(store)
    typestore.register(interface_types())
    return typestore


STORES = {store: load_store(store) for store in (Stores.ROS2_HUMBLE, Stores.ROS2_JAZZY)}
BASE_STORE = STORES[Stores.ROS2_HUMBLE]
_classes = {}


def serialize_all(message) -> None:
    """Serialise with every typestore; raises on a wrong field name or type."""
    for typestore in STORES.values():
        typestore.serialize_cdr(message, message.__msgtype__)


def _default(desc):
    kind, detail = desc
    if kind == Nodetype.BASE:
        name = detail[0]
        return '' if name in ('string', 'bounded_string') else PYTHON_TYPES.get(name, int)()
    if kind == Nodetype.NAME:
        return message_class(detail)()
    inner, length = detail
    if inner[0] == Nodetype.BASE and inner[1][0] in NUMPY_TYPES:
        size = length if kind == Nodetype.ARRAY else 0
        return np.zeros(size, NUMPY_TYPES[inner[1][0]])
    return [_default(inner) for _ in range(length)] if kind == Nodetype.ARRAY else []


def _convert(name, desc, value):
    kind, detail = desc
    if kind == Nodetype.BASE:
        expected = PYTHON_TYPES.get(detail[0], str if 'string' in detail[0] else int)
        if type(value) is not expected:
            raise AssertionError(f"The '{name}' field must be of type '{expected.__name__}', "
                                 f'got {type(value).__name__} {value!r}')
        return value
    if kind == Nodetype.NAME:
        return value
    inner = detail[0]
    if inner[0] == Nodetype.BASE and inner[1][0] in NUMPY_TYPES:
        dtype = NUMPY_TYPES[inner[1][0]]
        if isinstance(value, (bytes, bytearray, array.array, memoryview)):
            return np.frombuffer(bytes(value), dtype).copy()
        return np.asarray(value, dtype)
    return list(value)


def message_class(typename: str) -> type:
    """Return an rclpy-like class for `typename`, subclassing the rosbags dataclass."""
    if typename in _classes:
        return _classes[typename]
    base = BASE_STORE.types[typename]
    fields = dict(BASE_STORE.fielddefs[typename][1])

    def __init__(self, **kwargs):
        unknown = set(kwargs) - set(fields)
        if unknown:
            raise TypeError(f'{typename} has no field(s) {sorted(unknown)}')
        for field, desc in fields.items():
            setattr(self, field, kwargs[field] if field in kwargs else _default(desc))

    def __setattr__(self, field, value):
        if field not in fields:
            raise AttributeError(f'{typename} has no field {field!r}')
        object.__setattr__(self, field, _convert(field, fields[field], value))

    cls = type(typename.rsplit('/', 1)[-1], (base,),
               {'__init__': __init__, '__setattr__': __setattr__, '__msgtype__': typename})
    _classes[typename] = cls
    return cls


def _service_class(name: str) -> type:
    return type(name, (), {'Request': message_class(f'looptrans_interfaces/srv/{name}_Request'),
                           'Response': message_class(f'looptrans_interfaces/srv/{name}_Response')})


def install() -> None:
    """Put `<package>.msg` (and `looptrans_interfaces.srv`) modules in sys.modules."""
    modules = {}
    for typename in BASE_STORE.types:
        package, kind, name = (typename.split('/') + ['', ''])[:3]
        if package in PACKAGES and kind == 'msg' and typename.count('/') == 2:
            module = modules.setdefault(f'{package}.msg', types.ModuleType(f'{package}.msg'))
            setattr(module, name, message_class(typename))
    srv = types.ModuleType('looptrans_interfaces.srv')
    srv.SetAffordance = _service_class('SetAffordance')
    modules['looptrans_interfaces.srv'] = srv
    for module_name, module in modules.items():
        package = module_name.split('.')[0]
        sys.modules.setdefault(package, types.ModuleType(package))
        setattr(sys.modules[package], module_name.split('.')[1], module)
        sys.modules[module_name] = module
