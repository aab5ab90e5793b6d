/* placeholder until repodata lands */
int krait_repodata_placeholder_(void); int krait_repodata_placeholder_(void) { return 0; }
