"""Appointments (预约挂号 / 办事预约): institutions, slots, bookings and the rush gate."""
