#include "transcript.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness.hpp"

namespace course::test {

Transcript read_transcript(const Stage& stage, int index) {
    std::string path = source_dir() + "/" + stage.directory + "/README.md";
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot read " + path);
    }
    std::string line;
    int markers = 0;
    while (std::getline(file, line)) {
        if (line.starts_with("<!-- transcript") && markers++ == index) {
            break;
        }
    }
    if (markers <= index) {
        throw std::runtime_error(path + " has no <!-- transcript --> marker #" +
                                 std::to_string(index));
    }
    std::getline(file, line);  // the opening ``` fence
    Transcript transcript;
    while (std::getline(file, line) && !line.starts_with("```")) {
        if (line.starts_with("$ ")) {
            std::istringstream words(line.substr(2));
            std::string word;
            std::vector<std::string> all;
            while (words >> word) {
                all.push_back(word);
            }
            // "./course client v2 ARGS..." -> ARGS
            if (all.size() < 3 || all[1] != "client") {
                throw std::runtime_error(path + ": the command line must be ./course client " +
                                         stage.id + " ...");
            }
            transcript.client_args.assign(all.begin() + 3, all.end());
        } else if (line.starts_with("> ")) {
            transcript.typed += line.substr(2) + "\n";
        } else if (line == ">") {
            transcript.typed += "\n";
        } else {
            transcript.printed.push_back(line);
        }
    }
    return transcript;
}

testing::AssertionResult replay_transcript(const Stage& stage, int index) {
    Transcript transcript = read_transcript(stage, index);
    auto server = Server::start(stage);
    std::vector<std::string> args = {"--address", server->address()};
    args.insert(args.end(), transcript.client_args.begin(), transcript.client_args.end());
    ClientRun run = run_client(stage.client_path(), args, transcript.typed);

    std::string expected;
    for (const auto& line : transcript.printed) {
        expected += line + "\n";
    }
    if (run.exit_status != 0 || run.out != expected) {
        return testing::AssertionFailure()
               << "[" << stage.id << " transcript #" << index << " of " << stage.directory
               << "/README.md] the lesson says the client prints\n  " << escape(expected)
               << "\nbut it printed\n  " << escape(run.out) << "\nexit status "
               << (run.exit_status ? std::to_string(*run.exit_status) : "none (killed)")
               << ", client stderr: " << escape(run.err) << "\n"
               << server->describe();
    }
    return testing::AssertionSuccess();
}

}  // namespace course::test
