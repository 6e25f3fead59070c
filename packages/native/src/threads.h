// The process-wide waiter threads (threads.cc). Thread-agnostic entry points; no JS.
#pragma once

#include <memory>

#include "waiter.h"

namespace rxipc {

// Installs the no-op cancel-signal handler (without SA_RESTART), once per process.
void InstallCancelSignal();

// Queues `task` for a waiter thread, starting one if none is idle. Returns 0, or the errno
// of a failed pthread_create (the task was not queued).
int SubmitTask(std::shared_ptr<Task> task);

}  // namespace rxipc
