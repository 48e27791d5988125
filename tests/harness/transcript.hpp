// Lessons carry a "what you should see" transcript; a test replays it, so a lesson
// cannot drift from its code.
//
// In a stage's README.md the block right after the marker line `<!-- transcript -->`
// is a fenced console block:
//
//   $ ./course client v2            <- the client command (the test adds --address)
//   > hello                         <- a line you type (stdin)
//   hello                           <- a line the client prints
//
// The test starts the stage's server on a free port, runs the client with the typed
// lines as stdin, and compares what it prints with the other lines, in order.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stages.hpp"

namespace course::test {

struct Transcript {
    std::vector<std::string> client_args;  // the words after `./course client vN`
    std::string typed;                     // stdin: the "> " lines, each with "\n"
    std::vector<std::string> printed;      // stdout lines, in order
};

// Reads the block after `<!-- transcript -->` (the n-th such marker, from 0) in the
// stage's README.md. Throws if there is none.
Transcript read_transcript(const Stage& stage, int index = 0);

// Runs the transcript against the stage's real server and client.
testing::AssertionResult replay_transcript(const Stage& stage, int index = 0);

}  // namespace course::test
