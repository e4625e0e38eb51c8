/* timed_wait.h: the sleep of the engine's polling threads (the worker, the faults timer):
 * wait on a condition variable, its mutex held, until it is signalled or `ms` milliseconds
 * pass. pthread_cond_timedwait takes an absolute CLOCK_REALTIME deadline; this computes it
 * once for every caller (the nanosecond carry included). */
#ifndef RDSLOCAL_ENGINE_TIMED_WAIT_H
#define RDSLOCAL_ENGINE_TIMED_WAIT_H

#include <pthread.h>
#include <time.h>

static inline void engine__cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, mu, &ts);
}

#endif
