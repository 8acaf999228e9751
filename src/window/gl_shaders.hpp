#pragma once
// The presenter's GLSL ES 3.00 programs. Conventions shared with gl_presenter.cpp:
//  - the raw texture holds the frame's stored texels as uploaded, row r at texel row r;
//  - the screen texture holds the converted 8-bit RGBA frame, stored orientation, row r at
//    texel row r (v = (r + 0.5) / height);
//  - quads come from gl_VertexID (a 4-vertex strip); u_rect is (left, top, right, bottom) in
//    normalised device coordinates and v_uv runs 0..1 left to right and top to bottom.
// The conversions are the same arithmetic as image::frame_to_rgba and the cursor formula is
// image::apply_cursor_planes, so the CPU versions are what tests compare the window with.
#include <string_view>

namespace periscope::window::shaders {

inline constexpr std::string_view kQuadVertex = R"(#version 300 es
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  v_uv = corner;
  gl_Position = vec4(mix(u_rect.x, u_rect.z, corner.x), mix(u_rect.y, u_rect.w, corner.y), 0.0,
                     1.0);
}
)";

// Raw frame -> 8-bit RGBA, one fragment per stored pixel (gl_FragCoord in stored pixels).
// u_format: 0 RGBA, 1 BGRA, 2 RGBA10 (the texture format unpacks it), 3 RGBA16F, 4 BGR 24-bit
// packed, 5 RGB 24-bit packed.
inline constexpr std::string_view kConvertFragment = R"(#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D u_raw;
uniform int u_format;
uniform int u_pixels;  // pixels per row whose bytes exist
uniform int u_rows;    // rows whose bytes exist
out vec4 o_colour;

float srgb(float linear) {
  if (isnan(linear) || linear <= 0.0) return 0.0;
  if (linear >= 1.0) return 1.0;
  return linear <= 0.0031308 ? linear * 12.92 : 1.055 * pow(linear, 1.0 / 2.4) - 0.055;
}

float unit(float v) {
  if (isnan(v) || v <= 0.0) return 0.0;
  return min(v, 1.0);
}

float packed_byte(int index, int row) {
  vec4 texel = texelFetch(u_raw, ivec2(index / 4, row), 0);
  return texel[index % 4];
}

void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  if (p.x >= u_pixels || p.y >= u_rows) {
    o_colour = vec4(0.0, 0.0, 0.0, 1.0);
    return;
  }
  if (u_format >= 4) {
    int first = p.x * 3;
    vec3 c = vec3(packed_byte(first, p.y), packed_byte(first + 1, p.y), packed_byte(first + 2, p.y));
    o_colour = u_format == 4 ? vec4(c.b, c.g, c.r, 1.0) : vec4(c, 1.0);
    return;
  }
  vec4 t = texelFetch(u_raw, p, 0);
  if (u_format == 1) {
    o_colour = t.bgra;
  } else if (u_format == 3) {
    o_colour = vec4(srgb(t.r), srgb(t.g), srgb(t.b), unit(t.a));
  } else {
    o_colour = t;
  }
}
)";

// Maps an upright picture position to the stored texture (rotation clockwise, as
// image::frame_to_rgba documents).
#define PERISCOPE_STORED_UV                                     \
  "vec2 stored_uv(vec2 u) {\n"                                  \
  "  if (u_rotation == 1) return vec2(u.y, 1.0 - u.x);\n"       \
  "  if (u_rotation == 2) return vec2(1.0 - u.x, 1.0 - u.y);\n" \
  "  if (u_rotation == 3) return vec2(1.0 - u.y, u.x);\n"       \
  "  return u;\n"                                               \
  "}\n"

inline constexpr std::string_view kPictureFragment =
    "#version 300 es\n"
    "precision highp float;\n"
    "uniform sampler2D u_screen;\n"
    "uniform int u_rotation;\n"
    "in vec2 v_uv;\n"
    "out vec4 o_colour;\n" PERISCOPE_STORED_UV
    "void main() {\n"
    "  o_colour = vec4(texture(u_screen, stored_uv(v_uv)).rgb, 1.0);\n"
    "}\n";

// The cursor quad: the screen under it (sampled as the picture is) with the cursor's blend
// plane mixed in and its XOR plane applied, in 8-bit integers like the CPU formula.
inline constexpr std::string_view kCursorFragment =
    "#version 300 es\n"
    "precision highp float;\n"
    "precision highp int;\n"
    "uniform sampler2D u_screen;\n"
    "uniform sampler2D u_blend;\n"
    "uniform sampler2D u_xor;\n"
    "uniform int u_rotation;\n"
    "uniform vec2 u_cursor_origin;\n"  // cursor top-left, upright picture uv
    "uniform vec2 u_cursor_extent;\n"  // cursor size, upright picture uv
    "in vec2 v_uv;\n"
    "out vec4 o_colour;\n" PERISCOPE_STORED_UV
    "void main() {\n"
    "  vec3 screen = texture(u_screen, stored_uv(u_cursor_origin + v_uv * u_cursor_extent)).rgb;\n"
    "  vec4 b = texture(u_blend, v_uv);\n"
    "  vec4 x = texture(u_xor, v_uv);\n"
    "  uvec3 s = uvec3(screen * 255.0 + 0.5);\n"
    "  uvec3 c = uvec3(b.rgb * 255.0 + 0.5);\n"
    "  uint a = uint(b.a * 255.0 + 0.5);\n"
    "  uvec3 v = (c * a + s * (255u - a) + 127u) / 255u;\n"
    "  if (x.a > 0.5) v ^= uvec3(x.rgb * 255.0 + 0.5);\n"
    "  o_colour = vec4(vec3(v) / 255.0, 1.0);\n"
    "}\n";

#undef PERISCOPE_STORED_UV

// Overlay and status images: straight alpha, drawn 1:1.
inline constexpr std::string_view kImageFragment = R"(#version 300 es
precision mediump float;
uniform sampler2D u_image;
in vec2 v_uv;
out vec4 o_colour;
void main() {
  o_colour = texture(u_image, v_uv);
}
)";

}  // namespace periscope::window::shaders
