#pragma once
// Scream datagrams from the network: unicast (bind an address and port) or multicast (join a
// group on an interface, the VM bridge usually). Datagrams are read into one reusable buffer;
// nothing here trusts their content (parse_udp_packet does the checking).
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace periscope::audio {

inline constexpr const char* kScreamMulticastGroup = "239.255.77.77";
inline constexpr std::uint16_t kScreamPort = 4010;

struct UdpSourceOptions {
  std::string address{"0.0.0.0"};  // unicast: the address to bind; multicast: the group
  std::uint16_t port{kScreamPort};
  bool multicast{false};
  std::string interface;  // multicast: join on this interface (empty: the kernel's choice)
};

// "ADDR:PORT" as given to --listen.
Result<UdpSourceOptions> parse_listen_address(const std::string& text);

class UdpSource {
 public:
  static Result<UdpSource> open(const UdpSourceOptions& options);

  // Waits up to `timeout` for datagrams and hands each to `on_datagram` with its arrival time
  // (read right after it was received). Returns the number handled.
  Result<std::size_t> poll(
      Nanoseconds timeout,
      const std::function<void(std::span<const std::byte>, TimePoint)>& on_datagram);
  [[nodiscard]] std::uint16_t bound_port() const { return port_; }

 private:
  UdpSource(UniqueFd fd, std::uint16_t port) : fd_(std::move(fd)), port_(port) {}
  UniqueFd fd_;
  std::uint16_t port_;
  std::array<std::byte, 2048> buffer_{};  // > 1157: longer datagrams show up as too long
};

}  // namespace periscope::audio
