// dist_internal.h — what the dist room's files share beyond world.h: the current scope's
// communicator and the communication-time counter. Not for other rooms (they never see mpi.h).
#ifndef W2S_DIST_INTERNAL_H
#define W2S_DIST_INTERNAL_H

#include <mpi.h>

MPI_Comm dist_comm_current(void);     // MPI_COMM_WORLD or MPI_COMM_SELF (dist_scope_self)
void dist_comm_seconds_add(double s);  // time spent waiting in or driving collectives
double dist_now(void);                 // monotonic seconds
// Records "MPI <what> failed on rank …: <MPI's message>" and returns -1.
int dist_mpi_fail(int err, const char *what);

#endif
