# The chat decoder of v5 (v5-chat/protocol.cpp) under libFuzzer: any bytes, any limits.
find_package(nlohmann_json CONFIG REQUIRED)
course_fuzz_target(chat-decoder
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_chat_decoder.cpp
            ${PROJECT_SOURCE_DIR}/v5-chat/protocol.cpp
            ${PROJECT_SOURCE_DIR}/v5-chat/files.cpp
    INCLUDES ${PROJECT_SOURCE_DIR}/v5-chat
    LIBS nlohmann_json::nlohmann_json)
# The seed corpus (tests/fuzz/corpus/chat-decoder: small hand-made messages, among them the
# seed's bare headers) is copied to where ./course fuzz keeps the target's corpus.
file(COPY ${CMAKE_CURRENT_SOURCE_DIR}/corpus/chat-decoder/
     DESTINATION ${CMAKE_BINARY_DIR}/corpus/chat-decoder)
