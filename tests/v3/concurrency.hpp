// The concurrency check, shared by v3's tests and the expected failure on v2.
#pragma once

#include <gtest/gtest.h>

#include "stages.hpp"

namespace course::test {

// Two clients connected at once both get their echo within a deadline, while the first
// stays connected. A server that serves one client at a time (v1, v2) fails it.
testing::AssertionResult serves_clients_concurrently(const Stage& stage);

}  // namespace course::test
