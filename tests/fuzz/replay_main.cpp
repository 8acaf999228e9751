// Replays consumer_fuzz inputs without libFuzzer (the gcc build, or to reproduce a crash):
// every file given (directories are read in name order), then a fixed, seeded set of mutations
// of them, so each build exercises the harness the same way.
//   consumer_fuzz_replay [--mutations N] [--seed S] [--max-seconds T] [--last FILE] PATH...
// Each input is written to FILE (default replay-last-input.bin) before it runs, so after a crash
// it holds the input that crashed; it is removed when everything passed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "consumer_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Input = std::vector<std::uint8_t>;
constexpr std::size_t kMaxInputBytes = 16384;

// splitmix64: small, fast and the same everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

Input read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return Input(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void write_file(const std::filesystem::path& path, const Input& input) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(input.data()),
             static_cast<std::streamsize>(input.size()));
}

void collect(const std::filesystem::path& path, std::vector<std::filesystem::path>& out) {
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  } else if (std::filesystem::is_regular_file(path)) {
    out.push_back(path);
  } else {
    std::fprintf(stderr, "replay: %s: not a file or directory\n", path.c_str());
    std::exit(2);
  }
}

// One to four stacked edits, the kinds libFuzzer makes most often.
void mutate(Input& in, const std::vector<Input>& all, Rng& rng) {
  static constexpr std::uint8_t kBytes[] = {0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xe0, 0xff};
  static constexpr std::uint32_t kWords[] = {0, 1, 64, 65, 4092, 4096, 0x7fffffff, 0xffffffff};
  const std::size_t edits = 1 + rng.below(4);
  for (std::size_t e = 0; e < edits; ++e) {
    const std::size_t at = rng.below(in.size() + 1);
    switch (rng.below(8)) {
      case 0:
        if (at < in.size()) in[at] ^= static_cast<std::uint8_t>(1U << rng.below(8));
        break;
      case 1:
        if (at < in.size()) in[at] = kBytes[rng.below(std::size(kBytes))];
        break;
      case 2:
        if (at < in.size()) in[at] = static_cast<std::uint8_t>(rng.next());
        break;
      case 3:
        for (std::size_t n = 1 + rng.below(8); n > 0; --n) {
          in.insert(in.begin() + static_cast<std::ptrdiff_t>(at),
                    static_cast<std::uint8_t>(rng.next()));
        }
        break;
      case 4:
        if (at < in.size()) {
          const std::size_t n = std::min(in.size() - at, 1 + rng.below(8));
          in.erase(in.begin() + static_cast<std::ptrdiff_t>(at),
                   in.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 5:
        if (at + 4 <= in.size()) {
          const std::uint32_t w = kWords[rng.below(std::size(kWords))];
          for (std::size_t i = 0; i < 4; ++i) in[at + i] = static_cast<std::uint8_t>(w >> (8 * i));
        }
        break;
      case 6: {  // splice: our head, another input's tail
        const Input& other = all[rng.below(all.size())];
        const std::size_t from = rng.below(other.size() + 1);
        in.resize(at);
        in.insert(in.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
      default: {  // duplicate a chunk of ourselves at `at`
        if (in.empty()) break;
        const std::size_t from = rng.below(in.size());
        const std::size_t n = std::min(in.size() - from, 1 + rng.below(32));
        const Input chunk(in.begin() + static_cast<std::ptrdiff_t>(from),
                          in.begin() + static_cast<std::ptrdiff_t>(from + n));
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(at), chunk.begin(), chunk.end());
        break;
      }
    }
  }
  if (in.size() > kMaxInputBytes) in.resize(kMaxInputBytes);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mutations = 3000;
  std::uint64_t seed = 0x5eed;
  double max_seconds = 30;
  std::filesystem::path last = "replay-last-input.bin";
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--last" && i + 1 < argc) {
      last = argv[++i];
    } else {
      collect(arg, paths);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr,
                 "usage: %s [--mutations N] [--seed S] [--max-seconds T] [--last FILE] PATH...\n",
                 argv[0]);
    return 2;
  }
  const char* strict = std::getenv("PERISCOPE_FUZZ_STRICT");
  const char* trace = std::getenv("PERISCOPE_FUZZ_TRACE");
  periscope::fuzz::configure({.verify_restore = true,
                              .strict_model = strict != nullptr && std::string_view(strict) == "1",
                              .trace = trace != nullptr && std::string_view(trace) == "1"});

  const auto start = std::chrono::steady_clock::now();
  std::vector<Input> inputs;
  for (const auto& path : paths) {
    inputs.push_back(read_file(path));
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), inputs.back().size());
    write_file(last, inputs.back());
    LLVMFuzzerTestOneInput(inputs.back().data(), inputs.back().size());
  }

  Rng rng(seed);
  std::size_t done = 0;
  for (; done < mutations; ++done) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() > max_seconds) {
      std::fprintf(stderr, "replay: time limit reached after %zu of %zu mutations\n", done,
                   mutations);
      break;
    }
    Input input = inputs[done % inputs.size()];
    mutate(input, inputs, rng);
    write_file(last, input);
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::filesystem::remove(last);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("replay: %zu inputs and %zu mutations (seed %#llx) in %.2f s: ok\n", inputs.size(),
              done, static_cast<unsigned long long>(seed), elapsed.count());
  return 0;
}
