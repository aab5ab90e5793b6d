/* placeholder until the solver lands */
int krait_solver_placeholder_(void); int krait_solver_placeholder_(void) { return 0; }
