# Tie-breaking policy: build numbers, timestamps, track_features, constrains.
repo main linux-64
pkg bn 1.0 h_a bn=1
pkg bn 1.0 h_b bn=3
pkg bn 1.0 h_c bn=2
pkg ts 1.0 h_old ts=1600000000000
pkg ts 1.0 h_new ts=1700000000000
pkg ts 1.0 h_mid ts=1650000000000
pkg blas 1.0 mkl
pkg blas 1.0 openblas tf=blas_openblas
pkg tfnewer 2.0 h_feat tf=special
pkg tfnewer 1.0 h_plain
pkg lib 1.0 h0
pkg lib 2.0 h0
pkg app 1.0 h0 con="lib <2"
pkg other 1.0 h0 dep=lib
pkg verbn 1.0 h0 bn=9
pkg verbn 1.1 h0 bn=0
# A feature-enabling package (every build tracked), as nomkl in conda's index4.
pkg fblas 1.0 mkl
pkg fblas 1.0 openblas tf=fnomkl
pkg fnumpy 1.0 mkl_0 dep="fblas * mkl" ts=1700000000000
pkg fnumpy 1.0 openblas_0 dep="fblas * openblas" ts=1600000000000
pkg fnomkl 2.0 0 tf=fnomkl
pkg fnomkl 3.0 0 tf=fnomkl dep="fblas * openblas"
channel main inline
pip off

case highest build number wins
spec bn
expect bn 1.0 h_b

case build_number bracket selects another build
spec bn[build_number=1]
expect bn 1.0 h_a

case newest timestamp breaks a tie
# Stock libsolv 0.7.32 compares build strings last ("h_old" > "h_new");
# conda and rattler take the newest timestamp.
needs-patch 0001-conda-build-preference.patch
spec ts
expect ts 1.0 h_new

case track_features down-weights a build
spec blas
expect blas 1.0 mkl

case a feature build is still used when asked for by build
spec blas=*=openblas
expect blas 1.0 openblas

case track_features outweigh a newer version (conda: features first, then version)
spec tfnewer
expect tfnewer 1.0 h_plain

case version beats build number
spec verbn
expect verbn 1.1 h0

case constrains holds a package back without installing it
spec app
spec other
expect app 1.0 h0
expect other 1.0 h0
expect lib 1.0 h0

case constrains alone installs nothing extra
spec app
expect app 1.0 h0

case constrains conflicting with a request is reported
spec app
spec lib=2
error app 1.0 constrains lib <2

case a feature-enabling spec is decided first (fnomkl fnumpy)
spec fnomkl
spec fnumpy
expect fnomkl 3.0 0
expect fblas 1.0 openblas
expect fnumpy 1.0 openblas_0

case a feature-enabling spec is decided first whatever the spec order (fnumpy fnomkl)
# libsolv decides jobs in the order given: fnumpy first would settle on the
# mkl build and then satisfy fnomkl with the old 2.0. conda answers as for
# `fnomkl fnumpy`, and so does krait (feature-enabling jobs go first).
# (Stock libsolv takes the openblas build for fnumpy anyway: the build string.)
needs-patch 0001-conda-build-preference.patch
spec fnumpy
spec fnomkl
expect fnomkl 3.0 0
expect fblas 1.0 openblas
expect fnumpy 1.0 openblas_0

case without the feature-enabling spec the untracked build wins
needs-patch 0001-conda-build-preference.patch
spec fnumpy
expect fnumpy 1.0 mkl_0
expect fblas 1.0 mkl
