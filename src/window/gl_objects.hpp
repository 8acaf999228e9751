#pragma once
// Owning handles for the few OpenGL ES objects the presenter uses, and shader compilation with
// the driver's log in the error. Every function needs the context current on this thread.
#include <GLES3/gl3.h>

#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace periscope::window {

// A GL name freed with `Delete` when the handle goes.
template <void (*Delete)(GLuint)>
class GlName {
 public:
  GlName() = default;
  explicit GlName(GLuint name) : name_(name) {}
  GlName(GlName&& other) noexcept : name_(std::exchange(other.name_, 0)) {}
  GlName& operator=(GlName&& other) noexcept {
    if (this != &other) {
      reset();
      name_ = std::exchange(other.name_, 0);
    }
    return *this;
  }
  GlName(const GlName&) = delete;
  GlName& operator=(const GlName&) = delete;
  ~GlName() { reset(); }

  [[nodiscard]] GLuint get() const { return name_; }
  explicit operator bool() const { return name_ != 0; }
  void reset() {
    if (name_ != 0) Delete(name_);
    name_ = 0;
  }

 private:
  GLuint name_{0};
};

void delete_texture(GLuint name);
void delete_framebuffer(GLuint name);
void delete_program(GLuint name);
void delete_vertex_array(GLuint name);

using GlTexture = GlName<delete_texture>;
using GlFramebuffer = GlName<delete_framebuffer>;
using GlProgram = GlName<delete_program>;
using GlVertexArray = GlName<delete_vertex_array>;

GlTexture make_texture();
GlFramebuffer make_framebuffer();
GlVertexArray make_vertex_array();

// Compiles and links a program from GLSL ES 3.00 sources.
Result<GlProgram> build_program(std::string_view vertex_source, std::string_view fragment_source);

// The first pending GL error as text, or empty; clears the error flags.
std::string gl_error_text();

}  // namespace periscope::window
