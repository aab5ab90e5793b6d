# Mamba's sudoku channel: one package per cell (sudoku_R_C, versions 1-9),
# each depending on its row/column/box peers being a different digit, so any
# clue "sudoku_R_C=D" pulls in the whole grid. Two conflicting clues must be
# reported readably (how quickly: bench/sudoku_bench.py).
# (The channel's box dependencies are irregular, e.g. sudoku_2_7 names the
# cells of the top-left box, so the grid is a hard SAT instance: a single
# clue alone keeps libsolv busy for minutes; it is not a case here.)
channel sudoku repodata/synthetic/sudoku.json noarch
platform noarch
pip off

case two clues clash in one row
spec sudoku_0_0=5
spec sudoku_0_4=5
error the requested sudoku_0_0=5 and sudoku_0_4=5 cannot be installed together
error sudoku_0_4 5 requires sudoku_0_0 !=5, which conflicts with the requested sudoku_0_0=5

case two clues clash in one column
spec sudoku_3_2=7
spec sudoku_8_2=7
error requires sudoku_3_2 !=7, which conflicts with the requested sudoku_3_2=7
