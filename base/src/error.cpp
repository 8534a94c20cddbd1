#include "edgevisor/error.hpp"

#include <cstring>

namespace edgevisor {

std::string Error::describe() const {
    if (code == 0) return message;
    return message + ": " + std::strerror(code);
}

Error Error::wrap(const std::string& context) const& {
    Error outer = *this;
    outer.message = context + ": " + message;
    return outer;
}

Error Error::wrap(const std::string& context) && {
    message = context + ": " + message;
    return std::move(*this);
}

}  // namespace edgevisor
