# pytorch channel, linux-64, 2023 (most dependencies live in other channels),
# alone and above the conda-forge py39 slice.
channel pytorch repodata/pytorch-linux-64-2023/repodata.json linux-64
pip off

case a dependency-free package
spec magma-cuda121
expect magma-cuda121 2.6.1 1

case pytorch alone lacks its dependencies
spec pytorch=2.1
error requires
error but no package in the channels provides them

case torchdistx-cc lacks its dependencies in this channel
spec torchdistx-cc
error torchdistx-cc 0.1.0, 0.2.0 requires

case pytorch over conda-forge py39: torchserve needs pillow
channel pytorch repodata/pytorch-linux-64-2023/repodata.json linux-64
channel cf repodata/conda-forge-subchannel-py39-20240516
spec torchserve
error pillow

case pytorch over conda-forge py39: python comes from conda-forge
channel pytorch repodata/pytorch-linux-64-2023/repodata.json linux-64
channel cf repodata/conda-forge-subchannel-py39-20240516
spec python=3.9
spec magma-cuda118
# Tie on version and build number: conda and rattler take the newest timestamp;
# stock libsolv compares build strings.
needs-patch 0001-conda-build-preference.patch
expect _libgcc_mutex 0.1 conda_forge
expect _openmp_mutex 4.5 2_gnu
expect bzip2 1.0.8 hd590300_5
expect ca-certificates 2024.2.2 hbcca054_0
expect ld_impl_linux-64 2.40 h55db66e_0
expect libffi 3.4.2 h7f98852_5
expect libgcc-ng 13.2.0 h77fa898_7
expect libgomp 13.2.0 h77fa898_7
expect libnsl 2.0.1 hd590300_0
expect libsqlite 3.45.3 h2797004_0
expect libuuid 2.38.1 h0b41bf4_0
expect libxcrypt 4.4.36 hd590300_1
expect libzlib 1.2.13 hd590300_5
expect magma-cuda118 2.6.1 1
expect ncurses 6.5 h59595ed_0
expect openssl 3.3.0 hd590300_0
expect pip 24.0 pyhd8ed1ab_0
expect python 3.9.19 h0755675_0_cpython
expect readline 8.2 h8228510_1
expect setuptools 69.5.1 pyhd8ed1ab_0
expect tk 8.6.13 noxft_h4845f30_101
expect tzdata 2024a h0c530f3_0
expect wheel 0.43.0 pyhd8ed1ab_1
expect xz 5.2.6 h166bdaf_0
