// What the stream sources share of Linux's vocabulary: shutdown(2)'s `how`, and the keys their
// wakeups carry (the events a wake_up_poll passes, which a waiter compares with its interest).
import {
  EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDBAND, EPOLLRDNORM, EPOLLWRBAND, EPOLLWRNORM,
} from '../core/constants.js';

/** shutdown(2) `how`: stop receiving, stop sending, or both. */
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** Sockets: sock_def_readable's key (tcp_data_ready; a listener's queued connection too): every arrival. */
export const DATA_READY = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND;
/** Sockets: the write-space key (unix_write_space, sk_stream_write_space): room again to send. */
export const WRITE_SPACE = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

/**
 * Pipes, and stdio, whose sources behave like pipe ends: pipe_write's key for readers (every
 * write wakes them, since Linux 5.16, for ET users).
 */
export const PIPE_READ_KEY = EPOLLIN | EPOLLRDNORM;
/** pipe_read's key for writers: given when the pipe was full before the read. */
export const PIPE_WRITE_KEY = EPOLLOUT | EPOLLWRNORM;

/**
 * A state change (shutdown, peer close, FIN, reset, a stream's end or failure) wakes with no key:
 * every waiter, whatever its mask. An edge equal to the new level is the same thing for the core,
 * since a wait reports level & events.
 */
export const WAKE_ALL = -1;
