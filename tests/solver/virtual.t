# Virtual packages: present, absent, overridden; the __cuda explanation.
repo main linux-64
pkg tensorflow 2.15.0 cuda120_0 dep="__cuda >=11.2" dep="__glibc >=2.17"
pkg tensorflow 2.15.0 cpu_0 tf=tensorflow-cpu dep="__glibc >=2.17"
pkg gpuonly 1.0 cuda_0 dep="__cuda >=11.8"
pkg newglibc 1.0 h0 dep="__glibc >=2.28"
pkg archpkg 1.0 h0 dep="__archspec * x86_64_v3"
repo main noarch
pkg linuxonly 1.0 pyh0 dep="__linux" noarch=python
pkg winonly 1.0 pyh0 dep="__win" noarch=python
channel main inline
pip off

case cuda present picks the GPU build
virtual __unix 0 0
virtual __linux 6.5 0
virtual __glibc 2.35 0
virtual __cuda 12.4 0
spec tensorflow
expect tensorflow 2.15.0 cuda120_0

case cuda absent falls back to the CPU build
spec tensorflow
expect tensorflow 2.15.0 cpu_0

case cuda absent and no CPU build: name CONDA_OVERRIDE_CUDA
spec gpuonly
error gpuonly 1.0 requires __cuda >=11.8, but this machine has no CUDA driver: set CONDA_OVERRIDE_CUDA=

case cuda too old
virtual __unix 0 0
virtual __glibc 2.35 0
virtual __cuda 11.2 0
spec gpuonly
error gpuonly 1.0 requires __cuda >=11.8, but this machine's CUDA driver supports only CUDA 11.2

case requesting __cuda directly
spec __cuda
error CONDA_OVERRIDE_CUDA

case glibc too old
virtual __unix 0 0
virtual __glibc 2.17 0
spec newglibc
error newglibc 1.0 requires __glibc >=2.28, but this system provides __glibc 2.17
error CONDA_OVERRIDE_GLIBC

case glibc new enough
spec newglibc
expect newglibc 1.0 h0

case noarch package limited to linux
spec linuxonly
expect linuxonly 1.0 pyh0

case noarch package limited to windows is refused on linux
spec winonly
error winonly 1.0 requires __win
error __win is not present when solving for linux-64

case archspec level
virtual __archspec 1 x86_64_v3
spec archpkg
expect archpkg 1.0 h0

case archspec level missing
virtual __archspec 1 x86_64
spec archpkg
error archpkg 1.0 requires __archspec * x86_64_v3
error CONDA_OVERRIDE_ARCHSPEC

case detected virtual packages honour CONDA_OVERRIDE_CUDA
virtual detect
env CONDA_OVERRIDE_CUDA=12.4
spec gpuonly
expect gpuonly 1.0 cuda_0

case detected virtual packages: empty override means no cuda
virtual detect
env CONDA_OVERRIDE_CUDA=
spec gpuonly
error CONDA_OVERRIDE_CUDA
