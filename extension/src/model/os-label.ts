// A libosinfo id as a person would name the OS: http://microsoft.com/win/11
// reads "Windows 11". Pure; unknown ids fall back to their last parts.

const FAMILIES: [prefix: string, name: string][] = [
  ['http://microsoft.com/win/', 'Windows'],
  ['http://apple.com/macos/', 'macOS'],
  ['http://fedoraproject.org/fedora/', 'Fedora'],
  ['http://fedoraproject.org/silverblue/', 'Fedora Silverblue'],
  ['http://ubuntu.com/ubuntu/', 'Ubuntu'],
  ['http://debian.org/debian/', 'Debian'],
  ['http://archlinux.org/archlinux/', 'Arch Linux'],
  ['http://opensuse.org/opensuse/', 'openSUSE'],
  ['http://redhat.com/rhel/', 'Red Hat Enterprise Linux'],
  ['http://almalinux.org/almalinux/', 'AlmaLinux'],
  ['http://rockylinux.org/rocky/', 'Rocky Linux'],
  ['http://centos.org/centos-stream/', 'CentOS Stream'],
  ['http://nixos.org/nixos/', 'NixOS'],
  ['http://freebsd.org/freebsd/', 'FreeBSD'],
  ['http://linuxmint.com/linuxmint/', 'Linux Mint'],
  ['http://elementary.io/elementary/', 'elementary OS'],
  ['http://popos.org/popos/', 'Pop!_OS'],
];

export function osLabel(osId: string): string {
  if (!osId) return '';
  for (const [prefix, name] of FAMILIES) {
    if (osId.startsWith(prefix)) {
      const version = osId.slice(prefix.length).replace(/\/$/, '');
      return version && version !== 'unknown' && version !== 'rolling' ? `${name} ${version}` : name;
    }
  }
  const parts = osId
    .replace(/^[a-z]+:\/\//, '')
    .split('/')
    .filter(Boolean);
  return parts.slice(-2).join(' ');
}
