# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv/ when missing and installs the package with what that target needs.
# The venv is made the way the ROS 2 docs make one for colcon: --system-site-packages (so it
# sees ROS's Python dependencies, e.g. lark and EmPy 3 for rosidl) and a COLCON_IGNORE in it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo demo-model node-picture ground-picture test ros-build install bench clean

$(VPY):
	$(PYTHON) -m venv --system-site-packages $(VENV)
	touch $(VENV)/COLCON_IGNORE

$(STAMP): $(VPY) setup.py constraints.txt
	$(VPY) -m pip install --upgrade pip
	$(VPY) -m pip install -c constraints.txt -e '.[test,train,bag]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VPY) -m looptrans_core demo --out demo_output

# Rebuild looptrans_core/assets/demo_model.safetensors and vit_tiny_synth.safetensors: synthetic
# data (the medium set, seed 0), a tiny ViT pretrained on object labels only, a part-cluster
# module and LoopTrans heads trained on CPU (config/train_synth_demo.yaml), all seeded; 150 s
# measured on 2 CPU cores.
DEMO_BUILD := build/demo_model
DEMO_BACKBONE := $(DEMO_BUILD)/backbone.safetensors
demo-model: $(STAMP)
	rm -rf $(DEMO_BUILD)
	$(VPY) -m looptrans_core synth --out $(DEMO_BUILD)/data --size medium --seed 0
	$(VPY) -m looptrans_core pretrain-backbone --data-root $(DEMO_BUILD)/data --out $(DEMO_BUILD) \
		--backbone vit_tiny_synth --epochs 12 --seed 0 --device cpu
	$(VPY) -m looptrans_core train-cluster --data-root $(DEMO_BUILD)/data --out $(DEMO_BUILD) \
		--backbone vit_tiny_synth --backbone-weights $(DEMO_BACKBONE) --layers 2 --epochs 2 \
		--lr 1e-3 --batch-size 8 --seed 42 --device cpu --num-workers 0
	$(VPY) -m looptrans_core train --config config/train_synth_demo.yaml \
		--data-root $(DEMO_BUILD)/data --out $(DEMO_BUILD)/run \
		model.backbone_weights=$(DEMO_BACKBONE) model.cluster=$(DEMO_BUILD)/cluster.safetensors
	cp $(DEMO_BACKBONE) looptrans_core/assets/vit_tiny_synth.safetensors
	cp $(DEMO_BUILD)/run/best.safetensors looptrans_core/assets/demo_model.safetensors

# With ROS 2 sourced (ROS_DISTRO set), both packages are first built with colcon from the
# activated venv, so the node's executables run the venv's Python (torch, timm), and the tests
# run with install/ sourced: the node tests and the launch test meet real rclpy.
ros-build: $(STAMP)
	source $(VENV)/bin/activate && python -m colcon build

# The README's picture of the node's overlay, as RViz shows it: the launch file and the bundled
# demo model; once the node is active, the synthetic camera, and save_image on ~/overlay (needs
# ROS 2 sourced). The camera starts after the node so that its scenes (a new one every 20
# frames) meet the node from the first: skip:=25 passes the first scene (a thrown object, no
# `hold`) and saves one of the second (a baseball bat). Launch and camera run in sessions of
# their own (setsid), so that SIGTERM to their process groups ends their nodes too.
NODE_PICTURE := docs/images/node_overlay.png
node-picture: ros-build
	source install/setup.bash && \
	(setsid ros2 launch looptrans_ros grounding.launch.py use_rviz:=false & launch=$$!; \
	 timeout 120 ros2 run looptrans_ros save_image --ros-args \
	   -r image:=/looptrans_grounding/overlay -p path:=$(NODE_PICTURE) -p skip:=25 & saver=$$!; \
	 for try in $$(seq 240); do \
	   ros2 lifecycle get --no-daemon /looptrans_grounding 2>/dev/null | grep -q '^active' && \
	     break; \
	   sleep 0.5; done; \
	 setsid install/looptrans_ros/lib/looptrans_ros/synthetic_camera --ros-args \
	   -r image:=/camera/image_raw & camera=$$!; \
	 wait $$saver; status=$$?; kill -TERM -- -$$camera -$$launch; wait; exit $$status)

# The README's picture of the cloud and approach poses: the launch file with the synthetic
# RGB-D camera, its static transform and target_frame base_link; then one ~/ground goal for
# `hold` on the camera's sixth scene (a bottle), drawn with matplotlib (needs ROS 2 sourced).
# The launch runs in a session of its own (setsid), so SIGTERM to its group ends its nodes.
GROUND_PICTURE := docs/images/ground_cloud_poses.png
ground-picture: ros-build
	source install/setup.bash && \
	(setsid ros2 launch looptrans_ros grounding.launch.py use_sim_camera:=true use_depth:=true \
	   target_frame:=base_link use_rviz:=false & launch=$$!; \
	 timeout 120 $(VPY) -m looptrans_ros.ground_picture --out $(GROUND_PICTURE); status=$$?; \
	 kill -TERM -- -$$launch; wait; exit $$status)

test: $(STAMP) $(if $(ROS_DISTRO),ros-build)
	$(if $(ROS_DISTRO),source install/setup.bash && )$(VPY) -m pytest -q test

bench: $(STAMP)
	$(VPY) -m bench --quick

clean:
	rm -rf $(VENV) demo_output build install log
