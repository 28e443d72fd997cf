/*
 * sendmail/main.c — the sendmail command (sendmail(1)); also mailq and
 * newaliases, chosen by the name it is called by.  The work is in
 * sendmail.c (top level), sm_args.c, sm_input.c, sm_submit.c (hand-off to
 * the setgid postdrop) and mailq.c (queue listing).
 */
#include "sendmail.h"

int
main(int argc, char **argv)
{
	return sendmail_main(argc, argv);
}
