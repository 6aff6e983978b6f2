/* jpkictl: operator command line. One function per subcommand group. */
#ifndef JPKI_JPKICTL_H
#define JPKI_JPKICTL_H

/* argv[0] is the subcommand name; return the process exit status. */
int	jpkictl_init_main(int argc, char **argv);	/* init: development hierarchy */
int	jpkictl_migrate_main(int argc, char **argv);	/* migrate: apply pending migrations */
int	jpkictl_enroll_main(int argc, char **argv);	/* enroll: register client certificates */
/* ---- operators: sessions ---- */
int	jpkictl_operator_main(int argc, char **argv);	/* operator: accounts of the console */
/* ---- end operators: sessions ---- */

/* ---- operators: audit ---- */
int	jpkictl_audit_main(int argc, char **argv);	/* audit verify: the audit chain */
/* ---- end operators: audit ---- */

#endif
