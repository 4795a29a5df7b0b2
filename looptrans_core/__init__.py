"""looptrans_core: the LoopTrans affordance-grounding model, ROS-free.

Model, checkpoints, the Grounder inference API, data, training and evaluation. What other
packages (the ROS node, the bag tool) use is exported here; they import nothing deeper.
"""
from looptrans_core.affordances import SEEN_AFFORDANCES, UNSEEN_AFFORDANCES
from looptrans_core.cli_args import add_backend_arguments, add_device_argument
from looptrans_core.data.synth_scene import random_scene, render_scene, Scene
from looptrans_core.default_model import load_default_grounder
from looptrans_core.device import (backend_precisions_text, BACKENDS, device_spec_error,
                                   INFERENCE_PRECISIONS)
from looptrans_core.grounder import AffordanceMap, Grounder, PreparedBatch
from looptrans_core.image_io import (check_encoded_header, decode_encoded_image, ImageFormatError,
                                     MAX_IMAGE_PIXELS)
from looptrans_core.peaks import Peak, peak_settings_error, PeakConfig
from looptrans_core.visualize import COLORMAPS, overlay_settings_error, render_overlay

__all__ = ['AffordanceMap', 'BACKENDS', 'COLORMAPS', 'Grounder', 'INFERENCE_PRECISIONS',
           'ImageFormatError', 'MAX_IMAGE_PIXELS', 'Peak', 'PeakConfig', 'PreparedBatch',
           'Scene',
           'SEEN_AFFORDANCES',
           'UNSEEN_AFFORDANCES', 'add_backend_arguments', 'add_device_argument',
           'backend_precisions_text', 'check_encoded_header',
           'decode_encoded_image', 'device_spec_error', 'load_default_grounder',
           'overlay_settings_error', 'peak_settings_error', 'random_scene', 'render_overlay',
           'render_scene']
